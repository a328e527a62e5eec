// SPDX-License-Identifier: GPL-3.0-or-later
// The login page: posts the credentials, shows refusals and the server's slow-down.
import { ApiError, login } from './api.js';

const form = document.getElementById('login-form');
const error = document.getElementById('login-error');
const submit = document.getElementById('login-submit');

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  error.hidden = true;
  submit.disabled = true;
  try {
    await login(document.getElementById('login-user').value, document.getElementById('login-password').value);
    window.location.assign('/');
  } catch (err) {
    let text = err.message;
    if (err instanceof ApiError && err.status === 429)
      text = `Too many failed attempts: try again in ${err.retryAfter ?? 'a few'} seconds.`;
    error.textContent = text;
    error.dataset.status = err instanceof ApiError ? String(err.status) : '';
    error.hidden = false;
  } finally {
    submit.disabled = false;
  }
});
