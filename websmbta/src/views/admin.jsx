// SPDX-License-Identifier: GPL-3.0-or-later
// Administration (admin role): smbtad's report and self-check, and the dashboard's user accounts.
import { useEffect, useState } from 'preact/hooks';
import { del, getJson, post } from '../api.js';
import { ResultTable } from '../components/table.jsx';

function Report() {
  const [s, setS] = useState({ loading: true });
  useEffect(() => {
    getJson('/api/admin/report')
      .then((r) => setS({ report: r }))
      .catch((e) => setS({ error: e.message }));
  }, []);
  if (s.loading) return <p class="loading">Loading…</p>;
  if (s.error) return <p class="error">{s.error}</p>;
  const results = Array.isArray(s.report?.results) ? s.report.results : null;
  return (
    <div data-testid="admin-report">
      {results ? (
        results.map((r, i) => <ResultTable key={i} result={r} testid="report-table" />)
      ) : (
        <pre class="report">{JSON.stringify(s.report, null, 2)}</pre>
      )}
    </div>
  );
}

function Users({ self }) {
  const [users, setUsers] = useState([]);
  const [error, setError] = useState(null);
  const [form, setForm] = useState({ user: '', password: '', role: 'viewer' });
  const reload = () =>
    getJson('/api/admin/users')
      .then((r) => setUsers(r.users))
      .catch((e) => setError(e.message));
  useEffect(() => {
    reload();
  }, []);
  const act = async (fn) => {
    setError(null);
    try {
      await fn();
      await reload();
    } catch (e) {
      setError(e.message);
    }
  };
  return (
    <div data-testid="admin-users">
      <h3>Users</h3>
      {error && <p class="error" role="alert">{error}</p>}
      <table>
        <thead>
          <tr>
            <th>User</th>
            <th>Role</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.user} data-user={u.user}>
              <td>{u.user}</td>
              <td>{u.role}</td>
              <td>
                {u.user !== self && (
                  <button type="button" data-action="delete-user"
                    onClick={() => act(() => del(`/api/admin/users/${encodeURIComponent(u.user)}`))}>
                    Delete
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        class="add-user"
        onSubmit={(e) => {
          e.preventDefault();
          act(async () => {
            await post('/api/admin/users', form);
            setForm({ user: '', password: '', role: 'viewer' });
          });
        }}
      >
        <h4>Add or change a user</h4>
        <label>
          User <input name="new-user" value={form.user} required onInput={(e) => setForm({ ...form, user: e.currentTarget.value })} />
        </label>
        <label>
          Password <input name="new-password" type="password" autocomplete="new-password" value={form.password} required
            onInput={(e) => setForm({ ...form, password: e.currentTarget.value })} />
        </label>
        <label>
          Role
          <select name="new-role" value={form.role} onChange={(e) => setForm({ ...form, role: e.currentTarget.value })}>
            <option value="viewer">viewer</option>
            <option value="admin">admin</option>
          </select>
        </label>
        <button type="submit" data-action="add-user">Save</button>
      </form>
    </div>
  );
}

export function Admin({ session }) {
  if (session.role !== 'admin') return <p class="error">Administration needs the admin role.</p>;
  return (
    <section class="admin" data-testid="admin">
      <h2>Administration</h2>
      <h3>smbtad report</h3>
      <Report />
      <Users self={session.user} />
    </section>
  );
}
