// The UI's only behaviour beyond links and forms (which work without it): filter selects apply as
// they change, and [data-live] parts of a page refresh in place every data-refresh seconds, keeping
// focus, typing and scroll. Plain ES2020, no build step.
(() => {
  'use strict';

  // Selects apply at once; the text filter applies on Enter (a reload per keystroke would eat typing).
  for (const form of document.querySelectorAll('form[data-autosubmit]')) {
    for (const select of form.querySelectorAll('select')) select.addEventListener('change', () => form.requestSubmit());
  }

  const main = document.getElementById('main');
  const seconds = Number(main?.dataset.refresh);
  if (!seconds) return;
  let failures = 0;
  const refresh = async () => {
    if (document.hidden) return;
    try {
      const res = await fetch(location.href, { headers: { accept: 'text/html' }, credentials: 'same-origin' });
      const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
      const parts = doc.querySelectorAll('[data-live]');
      // Signed out meanwhile (the login page has no live parts): stop, the next click shows why.
      if (!res.ok || parts.length === 0) throw new Error(`refresh: HTTP ${res.status}`);
      for (const part of parts) document.querySelector(`[data-live="${part.dataset.live}"]`)?.replaceWith(part);
      failures = 0;
    } catch {
      failures += 1;
      document.querySelector('[data-live=summary]')?.setAttribute('data-refresh-failed', String(failures));
    }
  };
  setInterval(refresh, seconds * 1000);
})();
