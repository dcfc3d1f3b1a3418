// SPDX-License-Identifier: Apache-2.0
// The supervisor's desk in the console (issue 16): the SLA board, the shift handover,
// silences, away periods and users. Plain JavaScript, no build step, no inline script; data
// goes into the page with textContent only.
//
// Every word it shows comes from the message catalogue (keys under `desk.`, in
// messages/desk.yaml, zh-CN and en), fetched from GET /api/v1/messages/{locale}; a key
// missing from the catalogue shows as the key itself. The locale is the one saved in
// localStorage `hearth.locale`, else the page's `data-locale`, else zh-CN (the default).
//
// It mounts itself next to the console (app.js) through two elements only: `nav.tabs` gets
// one tab per desk screen, and `#app-view` the screens. When a tab of the console's own is
// pressed the desk screens hide, and the console's own views hide while a desk screen shows.
// The tabs exist only for the roles that may use them (supervisor, admin; a social worker
// gets the away screen for their caseload); the API refuses everyone else anyway.
'use strict';

(() => {
  const desk = { words: {}, locale: 'zh-CN', me: null, screen: null, timer: null, mounted: false };
  const SCREENS = [
    { id: 'sla', roles: ['supervisor', 'admin'] },
    { id: 'handover', roles: ['supervisor', 'admin'] },
    { id: 'silences', roles: ['supervisor', 'admin'] },
    { id: 'away', roles: ['supervisor', 'admin', 'social_worker'] },
    { id: 'users', roles: ['supervisor', 'admin'] },
  ];
  const ROLES = ['operator', 'supervisor', 'social_worker', 'integrator', 'admin'];
  const OUTCOMES = ['help-arrived', 'resident-fine', 'false-alarm', 'device-fault',
    'emergency-services', 'no-answer-visit-sent', 'auto-resolved'];

  // --- words ---------------------------------------------------------------------------

  function t(key, params) {
    let s = desk.words['desk.' + key];
    if (typeof s === 'object' && s) s = params && params.n === 1 ? s.one : s.other;
    if (typeof s !== 'string') return 'desk.' + key;
    return s.replace(/\{(\w+)\}/g, (m, k) => (params && k in params ? String(params[k]) : m));
  }

  /** A catalogue text outside `desk.` (a device type's name), or `fallback`. */
  function word(key, fallback) {
    const s = desk.words[key];
    return typeof s === 'string' ? s : fallback;
  }
  function typeName(type) { return type ? word(`device_type.${type}.name`, type) : t('none'); }

  function pickLocale() {
    const saved = (window.localStorage && localStorage.getItem('hearth.locale'))
      || document.documentElement.dataset.locale;
    return saved === 'en' ? 'en' : 'zh-CN';
  }

  async function loadWords() {
    desk.locale = pickLocale();
    try {
      const r = await fetch('/api/v1/messages/' + encodeURIComponent(desk.locale));
      if (r.ok) desk.words = (await r.json()).messages || {};
    } catch { desk.words = {}; }
  }

  // --- HTTP ----------------------------------------------------------------------------

  async function api(method, path, body) {
    // Alert titles and summaries come in the desk's language, not the browser's.
    const init = { method, headers: { 'Accept-Language': desk.locale }, credentials: 'same-origin' };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch('/api/v1/' + path, init);
    let data = null;
    if (res.status !== 204) {
      try { data = await res.json(); } catch { data = null; }
    }
    return { status: res.status, ok: res.ok, data };
  }

  /** The words for a refused call: the status's own text, then the server's reason. */
  function problem(r) {
    const known = { 400: 'error.bad_request', 403: 'error.forbidden', 404: 'error.not_found',
      409: 'error.conflict', 413: 'error.too_large' };
    return t(known[r.status] || 'error.failed', { status: r.status });
  }

  // --- formatting ----------------------------------------------------------------------

  function when(iso) {
    if (!iso) return t('none');
    return new Date(iso).toLocaleString(desk.locale, { month: 'short', day: 'numeric',
      hour: '2-digit', minute: '2-digit' });
  }
  function seconds(s) {
    if (s === null || s === undefined) return t('none');
    if (s < 120) return t('unit.seconds', { n: Math.round(s) });
    if (s < 7200) return t('unit.minutes', { n: Math.round(s / 60) });
    if (s < 172800) return t('unit.hours', { n: Math.round(s / 360) / 10 });
    return t('unit.days', { n: Math.round(s / 8640) / 10 });
  }
  function percent(x) {
    if (x === null || x === undefined) return t('none');
    return t('unit.percent', { n: (Math.round(x * 10) / 10).toLocaleString(desk.locale) });
  }
  function toIso(local) {  // a datetime-local value, in the browser's zone
    const d = new Date(local);
    return Number.isNaN(d.getTime()) ? '' : d.toISOString().replace(/\.000Z$/, 'Z');
  }
  function localInput(date) {
    const p = (n) => String(n).padStart(2, '0');
    return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}T${p(date.getHours())}:${p(date.getMinutes())}`;
  }

  // --- DOM helpers ---------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') e.textContent = v;
      else if (k === 'on') for (const [ev, f] of Object.entries(v)) e.addEventListener(ev, f);
      else if (k === 'class') e.className = v;
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  }
  function table(caption, heads, rows, cls) {
    const t0 = el('table', { class: cls || 'desk-table' });
    if (caption) t0.append(el('caption', { text: caption }));
    const hr = el('tr');
    for (const h of heads) hr.append(el('th', { scope: 'col', text: h }));
    t0.append(el('thead', {}, hr));
    const body = el('tbody');
    for (const r of rows) {
      const tr = el('tr', r.attrs || {});
      for (const c of r.cells || r) tr.append(c instanceof Node ? el('td', {}, c) : el('td', { text: String(c) }));
      body.append(tr);
    }
    t0.append(body);
    return t0;
  }
  function field(id, label, input) {
    input.id = id;
    return el('div', { class: 'desk-field' }, el('label', { for: id, text: label }), input);
  }
  function select(options, value) {
    const s = el('select');
    for (const [v, label] of options) {
      const o = el('option', { value: v, text: label });
      if (v === value) o.selected = true;
      s.append(o);
    }
    return s;
  }
  function status(section) {
    let p = section.querySelector('.desk-status');
    if (!p) {
      p = el('p', { class: 'desk-status', role: 'status', 'aria-live': 'polite' });
      section.prepend(p);
    }
    return (text, bad) => { p.textContent = text || ''; p.classList.toggle('error', !!bad); };
  }
  /** A secret shown once (a token, a generated password), with what it is. */
  function shownOnce(section, label, secret) {
    const box = section.querySelector('.desk-secret') || el('div', { class: 'desk-secret', role: 'alert' });
    box.replaceChildren(el('p', { text: label }), el('code', { class: 'secret', text: secret }),
      el('p', { class: 'hint', text: t('users.shown_once') }));
    section.prepend(box);
  }

  // --- SLA board -----------------------------------------------------------------------

  function periodQuery(form) {
    const kind = form.querySelector('#sla-period').value;
    const params = new URLSearchParams();
    if (kind === 'current' || kind === 'previous') params.set('shift', kind);
    else if (kind === 'day' || kind === 'month') {
      const from = new Date(Date.now() - (kind === 'day' ? 86400e3 : 30 * 86400e3));
      params.set('from', from.toISOString());
    } else {
      const from = toIso(form.querySelector('#sla-from').value);
      const to = toIso(form.querySelector('#sla-to').value);
      if (from) params.set('from', from);
      if (to) params.set('to', to);
    }
    const who = form.querySelector('#sla-operator').value.trim();
    if (who) params.set('operator', who);
    return params;
  }

  function renderSla(section) {
    const say = status(section);
    const form = el('form', { class: 'desk-form', 'aria-label': t('sla.period') });
    const period = select([['current', t('sla.current_shift')], ['previous', t('sla.previous_shift')],
      ['day', t('sla.last_day')], ['month', t('sla.last_30_days')], ['custom', t('sla.custom')]], 'current');
    const from = el('input', { type: 'datetime-local' });
    const to = el('input', { type: 'datetime-local' });
    const custom = el('div', { class: 'row', hidden: true },
      field('sla-from', t('sla.from'), from), field('sla-to', t('sla.to'), to));
    period.addEventListener('change', () => { custom.hidden = period.value !== 'custom'; });
    const who = el('input', { autocomplete: 'off', placeholder: t('sla.operator_hint') });
    const exportLink = el('a', { id: 'sla-export', class: 'button secondary', text: t('sla.export'), download: '' });
    form.append(el('div', { class: 'row' }, field('sla-period', t('sla.period'), period),
      field('sla-operator', t('sla.operator'), who)), custom,
    el('div', { class: 'row' }, el('button', { type: 'submit', text: t('sla.show') }), exportLink));
    const out = el('div', { id: 'sla-board', 'aria-live': 'polite' });
    section.replaceChildren(el('h2', { id: 'desk-title-sla', tabindex: '-1', text: t('sla.title') }), form, out);

    async function load() {
      const q = periodQuery(form);
      const r = await api('GET', 'reports/sla?' + q.toString());
      if (!r.ok) { say(problem(r), true); return; }
      say('');
      const b = r.data;
      const ex = new URLSearchParams({ from: b.from, to: b.to });
      exportLink.href = '/api/v1/alerts/export?' + ex.toString();
      out.replaceChildren(...boardView(b));
    }
    form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
    load();
    return load;  // refreshed while the screen shows: the board is live
  }

  function boardView(b) {
    const parts = [];
    parts.push(el('p', { class: 'meta', text: t('sla.covers', { from: when(b.from), to: when(b.to), n: b.alerts }) }));
    parts.push(table(t('sla.figures'), [t('sla.priority'), t('sla.within'), t('sla.target'), t('sla.share'),
      t('sla.judged'), t('sla.in_time'), t('sla.late'), t('sla.pending'), t('sla.verdict')],
    b.figures.map((f) => ({
      attrs: { class: f.met ? 'met' : 'missed', 'data-priority': f.priority, 'data-within': f.within_s ?? '' },
      cells: [t('priority', { n: f.priority }), f.within_s === null ? t('sla.claim_target') : seconds(f.within_s),
        percent(f.target), percent(f.share), f.judged, f.in_time, f.late, f.pending,
        f.met ? t('sla.met') : t('sla.missed')],
    }))));
    const keys = ['p1', 'p2', 'p3', 'p4', 'all'];
    parts.push(table(t('sla.times'), [t('sla.priority'), t('sla.claimed'), t('sla.claim_median'),
      t('sla.claim_p95'), t('sla.resolved'), t('sla.resolve_median'), t('sla.resolve_p95')],
    keys.map((k, i) => [i < 4 ? t('priority', { n: i + 1 }) : t('sla.all'), b.claim[k].count,
      seconds(b.claim[k].median_s), seconds(b.claim[k].p95_s), b.resolve[k].count,
      seconds(b.resolve[k].median_s), seconds(b.resolve[k].p95_s)])));
    const rules = Object.keys(b.outcomes).sort();
    parts.push(table(t('sla.outcomes'), [t('sla.rule'), ...OUTCOMES.map((o) => t('outcome.' + o))],
      rules.map((r) => [r, ...OUTCOMES.map((o) => b.outcomes[r][o] || 0)])));
    const shares = (title, m, name = (k) => k) => table(title, [t('sla.of'), t('sla.resolved_by_person'), t('sla.false_alarms'), t('sla.share')],
      Object.keys(m).sort().map((k) => [name(k), m[k].alerts, m[k].false_alarms, percent(m[k].share)]));
    parts.push(shares(t('sla.false_by_rule'), b.false_alarms.by_rule));
    parts.push(shares(t('sla.false_by_type'), b.false_alarms.by_device_type, typeName));
    parts.push(table(t('sla.exceptions', { n: b.exceptions.length }), [t('sla.alert'), t('sla.rule'),
      t('sla.priority'), t('sla.opened'), t('sla.answered_by'), t('sla.answered_at'), t('sla.waited'), t('sla.note')],
    b.exceptions.map((e) => ({ attrs: { 'data-alert': e.id }, cells: [e.id, e.rule, t('priority', { n: e.priority }),
      when(e.opened_at), e.answered_by || t('sla.nobody'), when(e.answered_at), seconds(e.waited_s),
      e.note || t('sla.no_note')] })), 'desk-table exceptions'));
    return parts;
  }

  // --- handover ------------------------------------------------------------------------

  function renderHandover(section) {
    const say = status(section);
    const at = el('input', { type: 'datetime-local', value: localInput(new Date()) });
    const form = el('form', { class: 'desk-form no-print' },
      el('div', { class: 'row' }, field('handover-at', t('handover.at'), at),
        el('button', { type: 'submit', text: t('handover.show') }),
        el('button', { type: 'button', class: 'secondary', text: t('handover.print'), on: { click: () => window.print() } })));
    const out = el('div', { id: 'handover-body' });
    const note = el('textarea', { rows: '2', maxlength: '2000' });
    const ack = el('form', { class: 'desk-form no-print' }, field('handover-note', t('handover.note'), note),
      el('button', { type: 'submit', id: 'handover-ack', text: t('handover.acknowledge') }));
    section.replaceChildren(el('h2', { id: 'desk-title-handover', tabindex: '-1', text: t('handover.title') }), form, out, ack);
    let current = null;

    // Until the reader picks a time the handover is as of now (the field shows minutes only:
    // sending it would leave out the current minute's last claims and resolutions).
    let picked = false;
    at.addEventListener('input', () => { picked = true; });
    async function load() {
      const iso = picked ? toIso(at.value) : '';
      const r = await api('GET', 'reports/handover' + (iso ? '?at=' + encodeURIComponent(iso) : ''));
      if (!r.ok) { say(problem(r), true); return; }
      current = r.data;
      out.replaceChildren(...handoverView(r.data));
    }
    form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
    ack.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!current) return;
      const body = { at: current.at };
      if (note.value.trim()) body.note = note.value.trim();
      const r = await api('POST', 'reports/handover/ack', body);
      if (!r.ok) { say(problem(r), true); return; }
      note.value = '';
      say(t('handover.acknowledged', { by: r.data.by, at: when(r.data.at) }));
      load();
    });
    load();
    return null;  // a handover is a snapshot: it is not refreshed under the reader
  }

  function alertRows(list, resolved) {
    return list.map((a) => ({ attrs: { 'data-alert': a.id }, cells: [a.id, t('priority', { n: a.priority }), a.title,
      a.building, resolved ? t('outcome.' + (a.outcome || 'auto-resolved')) : t('state.' + a.state),
      a.assignee || t('sla.nobody'), a.last_note || t('sla.no_note')] }));
  }

  function handoverView(h) {
    const heads = (last) => [t('sla.alert'), t('sla.priority'), t('handover.what'), t('handover.building'),
      last, t('handover.assignee'), t('handover.last_note')];
    return [
      el('p', { class: 'meta', text: t('handover.covers', { from: when(h.from), at: when(h.at), next: when(h.next_until) }) }),
      table(t('handover.open', { n: h.open.length }), heads(t('handover.state')), alertRows(h.open, false)),
      table(t('handover.resolved', { n: h.resolved.length }), heads(t('handover.outcome')), alertRows(h.resolved, true)),
      table(t('handover.silences', { n: h.silences.length }), [t('silences.scope'), t('silences.from'), t('silences.until'),
        t('silences.reason'), t('silences.author')],
      h.silences.map((s) => [scopeText(s.scope), when(s.created_at), when(s.until), s.reason, s.author])),
      table(t('handover.aways', { n: h.aways.length }), [t('away.resident'), t('away.since'), t('away.until'), t('away.reason')],
        h.aways.map((a) => [`${a.name} (${a.resident_id})`, when(a.since), when(a.until), a.reason])),
      table(t('handover.offline', { n: h.devices_offline.length }), [t('handover.device'), t('handover.type'),
        t('handover.building'), t('handover.since')],
      h.devices_offline.map((d) => [d.device_id, typeName(d.type), d.building, when(d.since)])),
      table(t('handover.acks', { n: h.acknowledgements.length }), [t('handover.by'), t('handover.when'), t('handover.note')],
        h.acknowledgements.map((a) => [a.by, when(a.at), a.note || t('sla.no_note')])),
    ];
  }

  // --- silences ------------------------------------------------------------------------

  function scopeText(scope) {
    const [k, v] = Object.entries(scope)[0] || ['', ''];
    return t('silences.scope_' + k, { id: v });
  }

  function renderSilences(section) {
    const say = status(section);
    const kind = select([['building', t('silences.kind_building')], ['household_id', t('silences.kind_household')],
      ['device_id', t('silences.kind_device')]], 'building');
    const target = el('input', { required: true, autocomplete: 'off' });
    const until = el('input', { type: 'datetime-local', required: true, value: localInput(new Date(Date.now() + 4 * 3600e3)) });
    const reason = el('input', { required: true, maxlength: '2000' });
    const form = el('form', { class: 'desk-form' }, el('fieldset', {}, el('legend', { text: t('silences.new') }),
      el('div', { class: 'row' }, field('silence-kind', t('silences.scope'), kind), field('silence-target', t('silences.target'), target)),
      el('div', { class: 'row' }, field('silence-until', t('silences.until'), until), field('silence-reason', t('silences.reason'), reason)),
      el('p', { class: 'hint', text: t('silences.never_p1') }),
      el('button', { type: 'submit', id: 'silence-create', text: t('silences.create') })));
    const list = el('div', { id: 'silence-list' });
    section.replaceChildren(el('h2', { id: 'desk-title-silences', tabindex: '-1', text: t('silences.title') }), form, list);

    async function load() {
      const r = await api('GET', 'silences');
      if (!r.ok) { say(problem(r), true); return; }
      list.replaceChildren(table(t('silences.active', { n: r.data.silences.length }), [t('silences.scope'),
        t('silences.from'), t('silences.until'), t('silences.reason'), t('silences.author'), ''],
      r.data.silences.map((s) => ({ attrs: { 'data-silence': s.id }, cells: [scopeText(s.scope), when(s.created_at),
        when(s.until), s.reason, s.author, el('button', { type: 'button', class: 'secondary', text: t('silences.end'),
          on: { click: async () => {
            const d = await api('DELETE', 'silences/' + encodeURIComponent(s.id));
            say(d.ok ? t('silences.ended') : problem(d), !d.ok);
            load();
          } } })] }))));
    }
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const r = await api('POST', 'silences', { scope: { [kind.value]: target.value.trim() },
        until: toIso(until.value), reason: reason.value.trim() });
      say(r.ok ? t('silences.created') : problem(r), !r.ok);
      if (r.ok) { target.value = ''; reason.value = ''; }
      load();
    });
    load();
    return load;
  }

  // --- away ----------------------------------------------------------------------------

  function renderAway(section) {
    const say = status(section);
    const list = el('div', { id: 'away-list' });
    section.replaceChildren(el('h2', { id: 'desk-title-away', tabindex: '-1', text: t('away.title') }),
      el('p', { class: 'hint', text: t('away.explain') }), list);

    async function load() {
      const r = await api('GET', 'residents');
      if (!r.ok) { say(problem(r), true); return; }
      const rows = r.data.residents.map((res) => {
        const until = el('input', { type: 'datetime-local', 'aria-label': t('away.until_for', { name: res.name }),
          value: localInput(new Date(Date.now() + 3 * 86400e3)) });
        const reason = el('input', { maxlength: '2000', 'aria-label': t('away.reason_for', { name: res.name }),
          placeholder: t('away.reason_hint') });
        const set = el('button', { type: 'button', text: t('away.set'), on: { click: async () => {
          const x = await api('POST', `residents/${encodeURIComponent(res.resident_id)}/away`,
            { until: toIso(until.value), reason: reason.value.trim() });
          say(x.ok ? t('away.was_set', { name: res.name, until: when(x.data.until) }) : problem(x), !x.ok);
          if (x.ok) load();
        } } });
        const end = res.away ? el('button', { type: 'button', class: 'secondary', text: t('away.end'), on: { click: async () => {
          const x = await api('DELETE', `residents/${encodeURIComponent(res.resident_id)}/away`);
          say(x.ok ? t('away.was_ended', { name: res.name }) : problem(x), !x.ok);
          if (x.ok) load();
        } } }) : null;
        return { attrs: { 'data-resident': res.resident_id }, cells: [`${res.name} (${res.resident_id})`,
          res.household ? res.household.address : res.household_id,
          res.away ? t('away.away_until', { until: when(res.away.until), reason: res.away.reason }) : t('away.home'),
          el('span', { class: 'row' }, until, reason, set, end)] };
      });
      list.replaceChildren(table(t('away.residents', { n: rows.length }), [t('away.resident'), t('away.address'),
        t('away.state'), ''], rows));
    }
    load();
    return null;
  }

  // --- users ---------------------------------------------------------------------------

  function renderUsers(section) {
    const say = status(section);
    const mayMake = desk.me.role === 'admin' ? ROLES : ['operator', 'social_worker'];
    const name = el('input', { required: true, autocomplete: 'off', pattern: '[A-Za-z0-9._@-]{1,64}' });
    const role = select(mayMake.map((r) => [r, t('role.' + r)]), 'operator');
    const password = el('input', { type: 'password', autocomplete: 'new-password', minlength: '8' });
    const caseload = el('input', { autocomplete: 'off', placeholder: t('users.caseload_hint') });
    const expires = el('input', { autocomplete: 'off', placeholder: t('users.expires_hint') });
    const form = el('form', { class: 'desk-form' }, el('fieldset', {}, el('legend', { text: t('users.new') }),
      el('div', { class: 'row' }, field('user-name', t('users.name'), name), field('user-role', t('users.role'), role)),
      el('div', { class: 'row' }, field('user-password', t('users.password'), password),
        field('user-expires', t('users.expires_in'), expires)),
      field('user-caseload', t('users.caseload'), caseload),
      el('button', { type: 'submit', id: 'user-add', text: t('users.add') })));
    const list = el('div', { id: 'user-list' });
    section.replaceChildren(el('h2', { id: 'desk-title-users', tabindex: '-1', text: t('users.title') }), form, list);
    const entries = (text) => text.split(/[\s,，]+/).filter(Boolean);

    async function act(method, path, body, done) {
      const r = await api(method, path, body);
      if (!r.ok) { say(problem(r), true); return null; }
      say(done);
      load();
      return r;
    }

    async function load() {
      const r = await api('GET', 'users');
      if (!r.ok) { say(problem(r), true); return; }
      const rows = r.data.users.map((u) => {
        const path = 'users/' + encodeURIComponent(u.name);
        const self = u.name === desk.me.user;
        const manageable = desk.me.role === 'admin' || ['operator', 'social_worker'].includes(u.role);
        const actions = el('span', { class: 'row' });
        if (manageable) {
          const newRole = select(mayMake.map((x) => [x, t('role.' + x)]), u.role);
          newRole.setAttribute('aria-label', t('users.role_of', { name: u.name }));
          newRole.disabled = self;
          newRole.addEventListener('change', () => act('PATCH', path, { role: newRole.value }, t('users.role_changed', { name: u.name })));
          const cl = el('input', { value: u.caseload.join(' '), 'aria-label': t('users.caseload_of', { name: u.name }) });
          actions.append(newRole, cl,
            el('button', { type: 'button', class: 'secondary', text: t('users.save_caseload'),
              on: { click: () => act('PATCH', path, { caseload: entries(cl.value) }, t('users.caseload_changed', { name: u.name })) } }),
            self ? null : el('button', { type: 'button', class: 'secondary', text: u.disabled ? t('users.enable') : t('users.disable'),
              on: { click: () => act('POST', path + (u.disabled ? '/enable' : '/disable'), undefined,
                t(u.disabled ? 'users.enabled' : 'users.disabled', { name: u.name })) } }),
            el('button', { type: 'button', class: 'secondary', text: t('users.reset_password'), on: { click: async () => {
              const x = await act('POST', path + '/password', undefined, t('users.password_reset', { name: u.name }));
              if (x && x.data.password) shownOnce(section, t('users.new_password_of', { name: u.name }), x.data.password);
            } } }),
            el('button', { type: 'button', class: 'secondary', text: t('users.rotate_token'), on: { click: async () => {
              const x = await act('POST', path + '/token', {}, t('users.token_rotated', { name: u.name }));
              if (x) shownOnce(section, t('users.new_token_of', { name: u.name }), x.data.token);
            } } }),
            el('button', { type: 'button', class: 'secondary', text: t('users.revoke_tokens'),
              on: { click: () => act('DELETE', path + '/tokens', undefined, t('users.tokens_revoked', { name: u.name })) } }),
            self ? null : el('button', { type: 'button', class: 'danger', text: t('users.remove'), on: { click: () => {
              if (window.confirm(t('users.confirm_remove', { name: u.name })))
                act('DELETE', path, undefined, t('users.removed', { name: u.name }));
            } } }));
        }
        const tokens = u.api_tokens.length === 0 ? t('users.no_tokens')
          : u.api_tokens.map((k) => (k.expires_at ? t('users.token_until', { until: when(k.expires_at) }) : t('users.token_forever'))).join('; ');
        return { attrs: { 'data-user': u.name, class: u.disabled ? 'disabled' : '' }, cells: [u.name, t('role.' + u.role),
          u.disabled ? t('users.is_disabled') : t('users.is_enabled'), u.caseload.join(' ') || t('none'), tokens,
          t('users.sessions', { n: u.sessions }), actions] };
      });
      list.replaceChildren(table(t('users.list', { n: rows.length }), [t('users.name'), t('users.role'), t('users.state'),
        t('users.caseload'), t('users.tokens'), t('users.open_sessions'), ''], rows));
    }
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const body = { name: name.value.trim(), role: role.value };
      if (password.value) body.password = password.value;
      if (caseload.value.trim()) body.caseload = entries(caseload.value);
      if (expires.value.trim()) body.expires_in = expires.value.trim();
      const r = await act('POST', 'users', body, t('users.added', { name: body.name }));
      if (r) {
        shownOnce(section, t('users.new_token_of', { name: body.name }), r.data.token);
        name.value = ''; password.value = ''; caseload.value = ''; expires.value = '';
      }
    });
    load();
    return null;
  }

  const RENDER = { sla: renderSla, handover: renderHandover, silences: renderSilences, away: renderAway, users: renderUsers };

  // --- mounting ------------------------------------------------------------------------

  function ownViews(app) {
    return [...app.children].filter((c) => !c.classList.contains('desk-screen') && c.tagName !== 'NAV');
  }

  function show(id, focus = true) {
    const app = document.getElementById('app-view');
    if (desk.timer) { clearInterval(desk.timer); desk.timer = null; }
    desk.screen = id;
    for (const s of app.querySelectorAll('.desk-screen')) s.hidden = s.dataset.screen !== id;
    for (const b of document.querySelectorAll('nav.tabs .tab'))
      b.setAttribute('aria-pressed', String(b.dataset.deskScreen === id));
    if (!id) return;
    for (const v of ownViews(app)) { if (!v.hidden) v.dataset.deskHid = '1'; v.hidden = true; }
    const section = app.querySelector(`.desk-screen[data-screen="${id}"]`);
    const refresh = RENDER[id](section);
    if (refresh) desk.timer = setInterval(refresh, 15000);
    const title = section.querySelector('h2');
    if (title && focus) title.focus();
  }

  function leave() {  // one of the console's own tabs was pressed
    if (!desk.screen) return;
    show(null);
    const app = document.getElementById('app-view');
    for (const v of ownViews(app)) if (v.dataset.deskHid) { v.hidden = false; delete v.dataset.deskHid; }
  }

  async function mount() {
    const nav = document.querySelector('nav.tabs');
    const app = document.getElementById('app-view');
    if (!nav || !app || desk.mounted) return;
    desk.mounted = true;  // before the first await: the observer may call again meanwhile
    const me = await api('GET', 'me');
    if (!me.ok) { desk.mounted = false; return; }
    desk.me = me.data;
    const screens = SCREENS.filter((s) => s.roles.includes(desk.me.role));
    if (screens.length === 0) return;
    await loadWords();
    // Before the console's own handlers (capture), so that what they show stays shown.
    nav.addEventListener('click', (e) => { if (!e.target.closest('[data-desk-screen]')) leave(); }, true);
    for (const s of screens) {
      nav.append(el('button', { type: 'button', class: 'tab', id: 'tab-' + s.id, 'data-desk-screen': s.id,
        'aria-pressed': 'false', text: t('tab.' + s.id), on: { click: () => show(s.id) } }));
      app.append(el('section', { class: 'desk-screen', 'data-screen': s.id, hidden: true, 'aria-labelledby': 'desk-title-' + s.id }));
    }
  }

  function unmount() {
    if (desk.timer) clearInterval(desk.timer);
    for (const e of document.querySelectorAll('.desk-screen, nav.tabs [data-desk-screen]')) e.remove();
    Object.assign(desk, { me: null, screen: null, timer: null, mounted: false });
  }

  // The console's own keys for its views (q, w) leave the desk too.
  document.addEventListener('keydown', (e) => {
    if (!desk.screen || (e.key !== 'q' && e.key !== 'w')) return;
    if (e.target.closest('input, textarea, select') || e.ctrlKey || e.metaKey || e.altKey) return;
    leave();
  }, true);

  // The console's router announces each of its own screens (hearth:screen): the desk's
  // screen hides and its 15 s refresh stops. A change of language (hearth:locale, after
  // i18n.js saved it in localStorage) reloads the desk's words, its tabs and the screen shown.
  document.addEventListener('hearth:screen', () => leave());
  document.addEventListener('hearth:locale', async () => {
    if (!desk.mounted || !desk.me) return;
    await loadWords();
    for (const b of document.querySelectorAll('nav.tabs [data-desk-screen]'))
      b.textContent = t('tab.' + b.dataset.deskScreen);
    if (desk.screen) show(desk.screen, false);
  });

  // The console shows #app-view once someone is logged in, and hides it at logout.
  function watch() {
    const app = document.getElementById('app-view');
    if (!app) return;
    const check = () => { if (app.hidden) unmount(); else mount(); };
    new MutationObserver(check).observe(app, { attributes: true, attributeFilter: ['hidden'] });
    check();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', watch);
  else watch();
})();
