// SPDX-License-Identifier: GPL-3.0-or-later
// The signed-in user's own account: a new password, given the current one (every role).
import { useState } from 'preact/hooks';
import { ApiError, post, setCsrf } from '../api.js';

export function Account({ session }) {
  const empty = { current: '', password: '', again: '' };
  const [form, setForm] = useState(empty);
  const [state, setState] = useState({});
  const field = (name, label, autocomplete) => (
    <label>
      {label}
      <input name={name} type="password" autocomplete={autocomplete} required value={form[name]}
        onInput={(e) => setForm({ ...form, [name]: e.currentTarget.value })} />
    </label>
  );
  const mismatch = form.again !== '' && form.again !== form.password;
  return (
    <section class="account" data-testid="account">
      <h2>Account {session.user}</h2>
      <form
        class="change-password"
        onSubmit={async (e) => {
          e.preventDefault();
          if (mismatch) return;
          setState({ busy: true });
          try {
            const res = await post('/api/password', { current: form.current, password: form.password });
            // The server ended every session of this user and gave this page a fresh one.
            const s = await res.json();
            setCsrf(s.csrf);
            setForm(empty);
            setState({ done: true });
          } catch (err) {
            let text = err.message;
            if (err instanceof ApiError && err.status === 429)
              text = `Too many wrong passwords: try again in ${err.retryAfter ?? 'a few'} seconds.`;
            setState({ error: text, status: err instanceof ApiError ? err.status : 0 });
          }
        }}
      >
        <h3>Change your password</h3>
        {field('current', 'Current password', 'current-password')}
        {field('password', 'New password (8 characters or more)', 'new-password')}
        {field('again', 'New password again', 'new-password')}
        <button type="submit" data-action="change-password" disabled={state.busy || mismatch || form.password.length < 8}>
          Change password
        </button>
        {mismatch && <p class="error">The new passwords differ.</p>}
        {state.error && (
          <p class="error" role="alert" data-testid="password-error" data-status={String(state.status)}>
            {state.error}
          </p>
        )}
        {state.done && (
          <p class="note" role="status" data-testid="password-changed">
            Password changed. Your other sessions have been signed out.
          </p>
        )}
      </form>
    </section>
  );
}
