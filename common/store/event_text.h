// SPDX-License-Identifier: GPL-3.0-or-later
// One smbta_events row as text: the values of a multi-row INSERT, or a line of COPY input.
#pragma once

#include <string>
#include <string_view>

#include "store/sqlite_writer.h"

namespace smbta::store {

// Appends the row's columns in table order, separated by `separator`, a missing value as
// `null_text`: ',' and "NULL" for SQL VALUES, '\t' and "\\N" for COPY's text format. Why one
// function: both ingest paths must write the same columns in the same order.
void append_event_values(std::string& out, const EventColumns& c, char separator,
                         std::string_view null_text);

}  // namespace smbta::store
