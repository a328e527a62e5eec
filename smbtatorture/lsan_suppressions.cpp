// SPDX-License-Identifier: GPL-3.0-or-later
// LeakSanitizer's built-in suppressions for smbtatorture (used only in sanitizer builds).
//
// libsmbclient and the Samba libraries under it keep global state (the loadparm context, the
// talloc autofree context, cached names) until exit by design; those are not smbtatorture's
// leaks. Everything smbtatorture allocates itself is still checked.
extern "C" const char* __lsan_default_suppressions();
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libsmbclient.so\n"
         "leak:libsmbconf.so\n"
         "leak:libsamba\n"
         "leak:libtalloc.so\n"
         "leak:libgnutls.so\n"
         "leak:libldb.so\n";
}
