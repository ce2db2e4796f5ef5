// The managers' page: signs in with the admin token (kept in this tab's sessionStorage, sent as a Bearer header),
// then reads the admin API of the gateway that served it. No framework; Chart.js comes from a WebJar.
const $ = (id) => document.getElementById(id);
const TOKEN = 'loyalty-admin-token';
const charts = {};
let program = null;

async function api(path, asText = false) {
  const response = await fetch(path, { headers: { Authorization: 'Bearer ' + sessionStorage.getItem(TOKEN) } });
  if (response.status === 401) {
    signOut('The admin token was refused.');
    throw new Error('unauthorized');
  }
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new Error(problem.detail || problem.title || response.statusText);
  }
  return asText ? response.text() : response.json();
}

const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });

/** Shows a whole number, keeping the exact value in data-value. */
function show(id, value, text) {
  const element = $(id);
  element.dataset.value = String(value);
  element.textContent = text ?? integer.format(value);
}

/** Minor units as money, without floating point: the fraction digits come from the currency. */
function money(minor, currency) {
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
  const negative = minor < 0;
  const text = String(Math.abs(minor)).padStart(digits + 1, '0');
  const whole = integer.format(BigInt(text.slice(0, text.length - digits)));
  return (negative ? '-' : '') + whole + (digits ? '.' + text.slice(text.length - digits) : '') + ' ' + currency;
}

function chart(id, config) {
  charts[id]?.destroy();
  charts[id] = new Chart($(id), { ...config, options: { responsive: true, maintainAspectRatio: false, animation: false,
    ...config.options } });
}

function rows(tableId, items, cells) {
  const body = $(tableId).querySelector('tbody');
  body.replaceChildren(...items.map((item) => {
    const tr = document.createElement('tr');
    for (const [text, className] of cells(item)) {
      const td = document.createElement('td');
      td.textContent = text ?? '—';
      if (className) td.className = className;
      tr.append(td);
    }
    return tr;
  }));
}

const when = (iso) => (iso ? iso.replace('T', ' ').slice(0, 16) + ' UTC' : null);

async function loadProgram(id) {
  program = id;
  const base = `/v1/admin/programs/${encodeURIComponent(id)}`;
  const liability = await api(`${base}/liability`);
  const today = liability.as_of; // the gateway's day (UTC), not this browser's
  const [month, days, usage, tills] = await Promise.all([
    api(`${base}/analytics?group_by=month&from=${today}&to=${today}`), api(`${base}/analytics?group_by=day&to=${today}`),
    api(`${base}/usage?month=${today.slice(0, 7)}`), api(`${base}/tills?limit=1000`)]);

  $('as-of').textContent = 'as of ' + liability.as_of;
  show('available-points', liability.available_points);
  show('value', liability.value_minor, money(liability.value_minor, liability.currency));
  show('pending-points', liability.pending_points);
  show('held-points', liability.held_points);
  show('inactive-points', liability.inactive.points);
  show('inactive-members', liability.inactive.members);
  show('dormant-members', liability.dormant_members);
  show('members-total', liability.members_total);
  chart('expiring-chart', { type: 'bar', data: { labels: ['7 days', '30 days', '90 days'], datasets: [{
    label: 'Points expiring within', data: [liability.expiring.d7, liability.expiring.d30, liability.expiring.d90],
    backgroundColor: '#e8833a' }] } });

  const m = month.groups[0];
  $('month').textContent = `${m.from} – ${m.to}`;
  show('receipts', m.receipts);
  show('share-redeeming', m.share_redeeming_bp, `${(m.share_redeeming_bp / 100).toFixed(2)} %`);
  show('avg-with', m.average_receipt_with_points_minor, money(m.average_receipt_with_points_minor, month.currency));
  show('avg-without', m.average_receipt_without_points_minor,
    money(m.average_receipt_without_points_minor, month.currency));
  show('repeat-members', m.repeat_members);
  show('tills-active', usage.tills_active, `${usage.tills_active} of ${usage.tills_issued}`);
  show('stores-active', usage.stores_active);
  show('transactions', usage.transactions);

  const labels = days.groups.map((g) => g.from.slice(5));
  chart('revenue-chart', { type: 'bar', data: { labels, datasets: [
    { label: `Revenue (${days.currency}, whole units)`, data: days.groups.map((g) => Math.trunc(g.revenue_minor / 100)),
      backgroundColor: '#1f6feb' }] } });
  chart('points-chart', { type: 'line', data: { labels, datasets: [
    { label: 'Accrued', data: days.groups.map((g) => g.points_accrued), borderColor: '#2da44e' },
    { label: 'Redeemed', data: days.groups.map((g) => g.points_redeemed), borderColor: '#1f6feb' },
    { label: 'Expired', data: days.groups.map((g) => g.points_expired), borderColor: '#b42318' }] } });

  rows('tills', tills.tills, (t) => [[t.store_id], [t.till_id], [when(t.created_at)], [when(t.last_seen_at)],
    [when(t.revoked_at)]]);
  $('member').hidden = true;
}

async function download(path, name) {
  const blob = new Blob([await api(path, true)], { type: 'text/csv' });
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = name;
  link.click();
  URL.revokeObjectURL(link.href);
}

async function findMember(event) {
  event.preventDefault();
  $('member-error').textContent = '';
  const base = `/v1/admin/programs/${encodeURIComponent(program)}`;
  try {
    const member = await api(`${base}/members?${$('member-by').value}=${encodeURIComponent($('member-query').value)}`);
    const ledger = await api(`${base}/members/${member.member_id}/ledger?limit=50`);
    show('member-available', member.balance.available);
    show('member-pending', member.balance.pending);
    show('member-held', member.balance.held);
    $('member-tier').textContent = member.tier?.name ?? '—';
    rows('member-lots', member.lots, (l) => [[String(l.lot_id)], [l.state], [integer.format(l.remaining)],
      [when(l.expires_at) ?? 'never']]);
    rows('member-ledger', ledger.entries, (e) => [[when(e.at)], [e.kind], [integer.format(e.points)],
      [e.reason, 'reason']]);
    $('member').hidden = false;
  } catch (e) {
    $('member').hidden = true;
    $('member-error').textContent = e.message;
  }
}

async function start() {
  const list = await api('/v1/admin/programs');
  $('sign-in').hidden = true;
  $('dashboard').hidden = false;
  $('program-picker').hidden = false;
  $('sign-out').hidden = false;
  $('program').replaceChildren(...list.programs.map((p) => new Option(p.program_id, p.program_id)));
  if (list.programs.length) await loadProgram(list.programs[0].program_id);
}

function signOut(message = '') {
  sessionStorage.removeItem(TOKEN);
  $('dashboard').hidden = true;
  $('program-picker').hidden = true;
  $('sign-out').hidden = true;
  $('sign-in').hidden = false;
  $('sign-in-error').textContent = message;
}

$('sign-in').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN, $('token').value);
  $('token').value = '';
  start().catch((e) => signOut(e.message === 'unauthorized' ? 'The admin token was refused.' : e.message));
});
$('sign-out').addEventListener('click', () => signOut());
$('program').addEventListener('change', (event) => loadProgram(event.target.value));
$('member-search').addEventListener('submit', findMember);
$('analytics-csv').addEventListener('click', (event) => {
  event.preventDefault();
  download(`/v1/admin/programs/${encodeURIComponent(program)}/analytics.csv`, `${program}-analytics.csv`);
});
$('liability-csv').addEventListener('click', (event) => {
  event.preventDefault();
  download(`/v1/admin/programs/${encodeURIComponent(program)}/liability.csv`, `${program}-liability.csv`);
});
if (sessionStorage.getItem(TOKEN)) start().catch(() => {});
