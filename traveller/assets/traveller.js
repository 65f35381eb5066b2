// The lane's traveller screen: renders each update of /gates/{id}/events in the language it
// names. Every update shown is also kept in window.egateSteps (for the lane's own tests).
'use strict';
const lane = decodeURIComponent(location.pathname.split('/')[2] || '');
const catalogues = {};
window.egateSteps = [];
// Spoken prompts played in the accessible mode: { src, ok } each.
window.egateAudio = [];
let spoken = null;

function speak(lang, step) {
  const src = `/audio/${encodeURIComponent(lang)}/${encodeURIComponent(step)}.wav`;
  if (spoken === src) return;
  spoken = src;
  const entry = { src, ok: false };
  window.egateAudio.push(entry);
  const audio = new Audio(src);
  audio.play().then(() => { entry.ok = true; }, (e) => { entry.error = String(e); });
}

// Pictograms: simple shapes, each with a text alternative (the step's text).
const SHAPES = {
  document: '<rect class="info" x="30" y="20" width="60" height="80" rx="6"/><rect fill="#fff" x="40" y="34" width="40" height="26"/>',
  wait: '<circle class="info" cx="60" cy="60" r="46"/><path fill="#fff" d="M57 30h6v32l20 12-3 5-23-14z"/>',
  enter: '<path class="go" d="M20 52h50V30l34 30-34 30V68H20z"/>',
  one_person: '<circle class="stop" cx="60" cy="34" r="16"/><path class="stop" d="M32 104c0-30 12-44 28-44s28 14 28 44z"/>',
  consent: '<circle class="info" cx="60" cy="44" r="22"/><path class="info" d="M24 108c0-28 16-40 36-40s36 12 36 40z"/><path fill="#fff" d="M50 44l7 7 14-15 4 4-18 19-11-11z"/>',
  camera: '<rect class="info" x="18" y="36" width="84" height="56" rx="8"/><circle fill="#fff" cx="60" cy="64" r="18"/><rect class="info" x="46" y="26" width="28" height="12"/>',
  proceed: '<path class="go" d="M20 52h50V30l34 30-34 30V68H20z"/>',
  officer: '<circle class="stop" cx="60" cy="34" r="16"/><path class="stop" d="M32 104c0-30 12-44 28-44s28 14 28 44z"/><path fill="#fff" d="M52 66h16v8H52z"/>',
  go_back: '<path class="stop" d="M100 52H50V30L16 60l34 30V68h50z"/>',
  closed: '<circle class="stop" cx="60" cy="60" r="46"/><path fill="#fff" d="M30 54h60v12H30z"/>',
  emergency: '<path class="go" d="M10 52h60V30l34 30-34 30V68H10z"/><rect class="go" x="96" y="20" width="8" height="80"/>',
};

async function catalogue(lang) {
  if (!catalogues[lang]) {
    const r = await fetch(`/messages/${encodeURIComponent(lang)}`);
    if (!r.ok) throw new Error(`no catalogue for ${lang}`);
    catalogues[lang] = await r.json();
  }
  return catalogues[lang];
}

function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));
}

async function render(u) {
  const c = await catalogue(u.lang);
  const t = (k) => c.texts[k] || '';
  const root = document.documentElement;
  root.lang = u.lang;
  root.dir = c.direction;
  const screen = document.getElementById('screen');
  screen.dataset.step = u.step;
  screen.dataset.lang = u.lang;
  const text = t(`messages.${u.step}`);
  document.getElementById('step-text').textContent = text;
  document.getElementById('pictogram').innerHTML =
    `<svg viewBox="0 0 120 120" role="img" aria-label="${text.replace(/"/g, '&quot;')}">${SHAPES[u.pictogram] || ''}</svg>`;
  const consent = document.getElementById('consent');
  consent.hidden = u.step !== 'ask_consent';
  document.getElementById('consent-yes').textContent = t('labels.consent_yes');
  document.getElementById('consent-no').textContent = t('labels.consent_no');
  const guidance = u.guidance ? t(`guidance.${u.guidance}`) : '';
  // The liveness challenge's prompt replaces the guidance while it is asked.
  const challenge = document.getElementById('challenge');
  challenge.hidden = !u.challenge;
  if (u.challenge) {
    const [code, [step, steps]] = u.challenge;
    challenge.dataset.action = code;
    document.getElementById('challenge-text').textContent = t(`challenge.${code}`);
    document.getElementById('challenge-label').textContent =
      fill(t('labels.challenge'), { step: String(step), steps: String(steps) });
  }
  document.getElementById('guidance').textContent = u.challenge ? '' : guidance;
  const box = document.getElementById('progress-box');
  box.hidden = !u.progress;
  if (u.progress) {
    const [step, steps] = u.progress;
    const bar = document.getElementById('progress');
    bar.max = steps;
    bar.value = step;
    document.getElementById('progress-label').textContent =
      fill(t('labels.progress'), { step: String(step), steps: String(steps) });
  }
  const notice = document.getElementById('notice');
  notice.hidden = !u.notice;
  if (u.notice) {
    notice.dataset.version = u.notice;
    document.getElementById('notice-title').textContent = t('notice.title');
    document.getElementById('notice-body').textContent = t('notice.body');
    document.getElementById('notice-more').textContent = fill(t('notice.more'), { url: c.notice_url });
  }
  document.getElementById('languages-label').textContent = t('labels.language');
  const assist = document.getElementById('assist');
  assist.textContent = t('labels.accessible');
  assist.setAttribute('aria-pressed', String(Boolean(u.accessible)));
  document.body.classList.toggle('large', Boolean(u.accessible));
  if (u.accessible) speak(u.lang, u.step); else spoken = null;
  for (const b of document.querySelectorAll('#language-list button')) {
    b.setAttribute('aria-pressed', String(b.dataset.lang === u.lang));
  }
  window.egateSteps.push({
    seq: u.seq, step: u.step, lang: u.lang, text, guidance: u.guidance, notice: u.notice,
    challenge: u.challenge ? u.challenge[0] : null,
    challengeText: u.challenge ? document.getElementById('challenge-text').textContent : '',
    noticeShown: !notice.hidden, capturing: u.capturing, accessible: u.accessible, at: Date.now(),
  });
}

async function languages() {
  const list = await (await fetch('/languages')).json();
  const ul = document.getElementById('language-list');
  for (const [lang, name] of list) {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.lang = lang;
    b.dataset.lang = lang;
    b.textContent = name;
    b.setAttribute('aria-pressed', 'false');
    b.addEventListener('click', () => {
      fetch(`/gates/${encodeURIComponent(lane)}/language/${encodeURIComponent(lang)}`, { method: 'POST' });
    });
    li.appendChild(b);
    ul.appendChild(li);
  }
}

document.getElementById('assist').addEventListener('click', () => {
  fetch(`/gates/${encodeURIComponent(lane)}/assist`, { method: 'POST' });
});

for (const b of document.querySelectorAll('#consent button')) {
  b.addEventListener('click', () => {
    fetch(`/gates/${encodeURIComponent(lane)}/consent/${b.dataset.answer}`, { method: 'POST' });
  });
}

// Updates are rendered strictly in order, each once its catalogue is loaded.
let shown = languages().catch(() => {});
const events = new EventSource(`/gates/${encodeURIComponent(lane)}/events`);
events.onmessage = (e) => {
  const u = JSON.parse(e.data);
  shown = shown.then(() => render(u)).catch((err) => console.error(err));
};
