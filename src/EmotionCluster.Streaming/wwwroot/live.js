// EmotionCluster live page: microphone -> 16-bit PCM over a WebSocket (/ws/stream) -> per-hop emotion probabilities,
// drawn as a line chart (last 30 s: smoothed thick, per hop thin) and bars. No external libraries: this runs on nodes
// without internet access.
(function () {
  'use strict';
  const params = new URLSearchParams(location.search);
  const token = params.get('token');

  // palette:begin — a copy of EmotionCluster.Reporting.EmotionColors (the report's charts); a test checks they are equal
  const PALETTE = {"anger":"#d62728","boredom":"#8c564b","disgust":"#2ca02c","fear":"#9467bd","happiness":"#ff7f0e","sadness":"#1f77b4","neutral":"#7f7f7f","surprise":"#e377c2","calm":"#17becf"};
  const FALLBACK = ["#bcbd22","#393b79","#637939","#8c6d31","#843c39","#7b4173","#3182bd","#e6550d"];
  // palette:end

  /** The emotion's colour, as EmotionColors.Hex: known emotions by name, others by FNV-1a of the name. */
  function colorOf(label) {
    const key = String(label).trim().toLowerCase();
    if (Object.prototype.hasOwnProperty.call(PALETTE, key)) return PALETTE[key];
    let h = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619) >>> 0;
    return FALLBACK[h % FALLBACK.length];
  }

  const state = window.liveState = {
    started: false, predictions: 0, overloads: 0, errors: [], labels: [], last: null, history: [], ended: false,
    uncertainBelow: null, hopSeconds: 0.5, uncertainHops: 0, warnedHops: 0,
  };
  const el = id => document.getElementById(id);
  const statusEl = el('status'), currentEl = el('current'), levelEl = el('level'), canvas = el('chart'), ctx = canvas.getContext('2d');
  let socket = null, audio = null, source = null, node = null, stream = null, pending = [], pendingLength = 0, frameSamples = 1600;

  function setStatus(text, isError) {
    statusEl.textContent = text;
    statusEl.className = isError ? 'error' : '';
  }

  function socketUrl() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    return `${scheme}://${location.host}/ws/stream` + (token ? `?token=${encodeURIComponent(token)}` : '');
  }

  async function start() {
    el('start').disabled = true;
    try {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia)
        throw new Error('this browser gives no microphone access here (pages need https or localhost)');
      stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
      try { audio = new AudioContext({ sampleRate: 16000 }); } catch (e) { audio = new AudioContext(); }
      await audio.resume();
      frameSamples = Math.round(audio.sampleRate / 10); // 100 ms per frame
      source = audio.createMediaStreamSource(stream);
      socket = new WebSocket(socketUrl());
      socket.binaryType = 'arraybuffer';
      socket.onopen = () => socket.send(JSON.stringify({ sampleRate: audio.sampleRate, channels: 1, format: 'pcm16' }));
      socket.onmessage = e => onMessage(JSON.parse(e.data));
      socket.onerror = () => setStatus('WebSocket error (is the node running? is the token right?)', true);
      socket.onclose = e => { if (!state.ended && state.errors.length === 0) setStatus(`connection closed (${e.code}${e.reason ? ': ' + e.reason : ''})`, e.code !== 1000); stopAudio(); };
      if (audio.audioWorklet) {
        await audio.audioWorklet.addModule('/live/worklet.js');
        node = new AudioWorkletNode(audio, 'capture-processor');
        node.port.onmessage = e => push(e.data);
      } else {
        node = audio.createScriptProcessor(2048, 1, 1);
        node.onaudioprocess = e => push(new Float32Array(e.inputBuffer.getChannelData(0)));
      }
      const mute = audio.createGain();
      mute.gain.value = 0;
      source.connect(node).connect(mute).connect(audio.destination);
      el('stop').disabled = false;
      setStatus(`capturing at ${audio.sampleRate} Hz…`);
    } catch (e) {
      setStatus('could not start: ' + e.message, true);
      state.errors.push(String(e.message));
      el('start').disabled = false;
    }
  }

  function push(block) {
    if (!socket || socket.readyState !== WebSocket.OPEN || !state.started) { pending = []; pendingLength = 0; return; } // nothing queues up before the start
    pending.push(block);
    pendingLength += block.length;
    if (pendingLength < frameSamples) return;
    const pcm = new Int16Array(pendingLength);
    let at = 0;
    for (const b of pending) for (let i = 0; i < b.length; i++) {
      const v = Math.max(-1, Math.min(1, b[i]));
      pcm[at++] = v < 0 ? v * 32768 : v * 32767;
    }
    pending = []; pendingLength = 0;
    if (socket.bufferedAmount > 1 << 20) return; // the network is not keeping up: drop rather than queue without bound
    socket.send(pcm.buffer);
  }

  function stop() {
    el('stop').disabled = true;
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'end' }));
    stopAudio();
  }

  function stopAudio() {
    if (node) { try { node.disconnect(); } catch (e) { } node = null; }
    if (stream) { stream.getTracks().forEach(t => t.stop()); stream = null; }
    if (audio) { audio.close(); audio = null; }
    el('start').disabled = false;
    el('stop').disabled = true;
  }

  const pct = p => `${Math.round(100 * p)} %`;

  function onMessage(m) {
    if (m.type === 'started') {
      state.started = true;
      state.labels = m.labels;
      state.uncertainBelow = typeof m.uncertainBelow === 'number' ? m.uncertainBelow : null; // absent from an earlier node
      state.hopSeconds = m.hopSeconds || 0.5;
      setStatus(`streaming (model ${m.model}, window ${m.windowSeconds} s every ${m.hopSeconds} s)…`);
      legend();
    } else if (m.type === 'prediction') {
      state.predictions++;
      state.last = m;
      if (m.uncertain) state.uncertainHops++;
      if (m.warnings && m.warnings.length) state.warnedHops++;
      state.history.push(m);
      if (state.history.length > 600) state.history.shift();
      current(m);
      level(m);
      draw();
      bars(m);
    } else if (m.type === 'overload') {
      state.overloads++;
      setStatus(`overload: ${m.droppedHops} windows and ${m.droppedFrames} frames dropped so far`, true);
    } else if (m.type === 'error') {
      state.errors.push(m.message);
      setStatus('error: ' + m.message, true);
    } else if (m.type === 'end') {
      state.ended = true;
      setStatus(`ended: ${m.predictions} predictions, ${m.droppedHops} windows dropped`);
    }
    el('stats').textContent = `predictions ${state.predictions} · uncertain ${state.uncertainHops} · level warnings ${state.warnedHops} · overload reports ${state.overloads}`;
  }

  /** The current emotion, big; "uncertain" (grey, italic) when the node says the smoothed top probability is too low. */
  function current(m) {
    const p = m.smoothedProbabilities[m.smoothed];
    const emotion = el('emotion'), detail = el('detail');
    currentEl.classList.toggle('uncertain', !!m.uncertain);
    if (m.uncertain) {
      emotion.textContent = 'uncertain';
      emotion.style.color = '';
      detail.textContent = `leaning ${m.smoothed} ${pct(p)}` + (state.uncertainBelow != null ? ` (below ${pct(state.uncertainBelow)})` : '') +
        ` · this hop: ${m.label} · t = ${m.t.toFixed(1)} s · ${m.latencyMs.toFixed(0)} ms`;
    } else {
      emotion.textContent = m.smoothed;
      emotion.style.color = colorOf(m.smoothed);
      detail.textContent = `${pct(p)} · this hop: ${m.label} · t = ${m.t.toFixed(1)} s · ${m.latencyMs.toFixed(0)} ms`;
    }
  }

  /** The level warning of the latest window (too quiet, clipped), hidden while the level is fine. */
  function level(m) {
    const warnings = m.warnings || [];
    if (warnings.length === 0) { levelEl.hidden = true; levelEl.textContent = ''; levelEl.className = ''; return; }
    levelEl.hidden = false;
    levelEl.className = warnings.includes('clipped') ? 'clipped' : 'quiet';
    levelEl.textContent = '⚠ Input ' + (m.warning || warnings.join(', ')); // the node's own line says what to do
  }

  function lineKey(width, opacity, dots) {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('width', '30'); svg.setAttribute('height', '10');
    const line = document.createElementNS(ns, 'line');
    Object.entries({ x1: 1, y1: 5, x2: 29, y2: 5, stroke: '#444', 'stroke-width': width, 'stroke-opacity': opacity }).forEach(([k, v]) => line.setAttribute(k, v));
    svg.append(line);
    if (dots) for (const x of [5, 15, 25]) {
      const c = document.createElementNS(ns, 'circle');
      Object.entries({ cx: x, cy: 5, r: 2, fill: '#444', 'fill-opacity': opacity }).forEach(([k, v]) => c.setAttribute(k, v));
      svg.append(c);
    }
    return svg;
  }

  function legend() {
    const lg = el('legend');
    lg.innerHTML = '';
    state.labels.forEach(l => {
      const s = document.createElement('span');
      const sw = document.createElement('i');
      sw.className = 'swatch';
      sw.style.background = colorOf(l);
      s.append(sw, document.createTextNode(l));
      lg.append(s);
    });
    const smoothed = document.createElement('span'), hop = document.createElement('span'), unsure = document.createElement('span');
    smoothed.className = hop.className = unsure.className = 'key';
    smoothed.append(lineKey(3, 1, false), document.createTextNode('smoothed'));
    hop.append(lineKey(1, 0.45, true), document.createTextNode('per hop'));
    const band = document.createElement('i');
    band.className = 'swatch';
    band.style.background = 'rgba(0,0,0,.12)';
    unsure.append(band, document.createTextNode('uncertain'));
    lg.append(smoothed, hop, unsure);
  }

  function bars(m) {
    const host = el('bars');
    host.innerHTML = '';
    const top = m.smoothed;
    state.labels.forEach(l => {
      const p = m.smoothedProbabilities[l];
      const row = document.createElement('div');
      row.className = 'bar' + (l === top && !m.uncertain ? ' top' : '');
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = l;
      const track = document.createElement('div');
      track.className = 'track';
      const fill = document.createElement('div');
      fill.className = 'fill';
      fill.style.width = `${(100 * Math.max(0, Math.min(1, p))).toFixed(1)}%`; // a share of the track: fits any width
      fill.style.background = colorOf(l);
      track.append(fill);
      const value = document.createElement('span');
      value.className = 'value';
      value.textContent = pct(p);
      row.append(name, track, value);
      host.append(row);
    });
  }

  /** Canvas backing store at the device's pixel density; drawing is in CSS pixels. Returns the CSS size. */
  function fit() {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, canvas.clientWidth), h = Math.max(1, canvas.clientHeight);
    const bw = Math.round(w * dpr), bh = Math.round(h * dpr);
    if (canvas.width !== bw || canvas.height !== bh) { canvas.width = bw; canvas.height = bh; }
    ctx.setTransform(bw / w, 0, 0, bh / h, 0, 0);
    return { w, h };
  }

  /** A tick step of 0.5, 1, 2, 5, 10, 15, 30 or 60 s giving ticks at least minPx apart. */
  function timeStep(seconds, px, minPx) {
    for (const s of [0.5, 1, 2, 5, 10, 15, 30, 60]) if (px * s / seconds >= minPx) return s;
    return 60;
  }

  function draw() {
    const { w, h } = fit();
    const span = 30, left = 50, right = 12, top = 14, bottom = 40;
    const pw = Math.max(10, w - left - right), ph = Math.max(10, h - top - bottom);
    ctx.clearRect(0, 0, w, h);
    ctx.font = '11px system-ui, sans-serif';
    ctx.lineJoin = 'round';

    const last = state.history.length ? state.history[state.history.length - 1].t : 0;
    const tStart = Math.max(0, last - span);
    const shown = Math.max(last - tStart, 5); // seconds across the chart: up to the last 30 s, at least 5
    const x = t => left + pw * (t - tStart) / shown;
    const y = p => top + ph * (1 - p);

    // uncertain hops: grey bands over the hop they end (from the previous hop's time, at most one hop back)
    ctx.fillStyle = 'rgba(0,0,0,.07)';
    let prevT = null;
    for (const m of state.history) {
      if (m.uncertain && m.t >= tStart) {
        const from = Math.max(tStart, m.t - state.hopSeconds, prevT == null ? m.start : prevT);
        ctx.fillRect(x(from), top, Math.max(1, x(m.t) - x(from)), ph);
      }
      prevT = m.t;
    }

    // y grid and ticks: probability in percent
    ctx.strokeStyle = '#e6e6e6';
    ctx.lineWidth = 1;
    ctx.fillStyle = '#666';
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (let k = 0; k <= 4; k++) {
      const yy = Math.round(y(k / 4)) + 0.5;
      ctx.beginPath(); ctx.moveTo(left, yy); ctx.lineTo(left + pw, yy); ctx.stroke();
      ctx.fillText(`${k * 25} %`, left - 5, yy);
    }
    // x ticks: stream time in seconds
    const step = timeStep(shown, pw, 56);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (let t = Math.ceil(tStart / step) * step; t <= tStart + shown + 1e-9; t += step) {
      const xx = Math.round(x(t)) + 0.5;
      ctx.strokeStyle = '#f0f0f0';
      ctx.beginPath(); ctx.moveTo(xx, top); ctx.lineTo(xx, top + ph); ctx.stroke();
      ctx.strokeStyle = '#999';
      ctx.beginPath(); ctx.moveTo(xx, top + ph); ctx.lineTo(xx, top + ph + 4); ctx.stroke();
      ctx.fillText(`${+t.toFixed(1)}`, xx, top + ph + 6);
    }
    ctx.strokeStyle = '#999';
    ctx.strokeRect(left + 0.5, top + 0.5, pw - 1, ph - 1);
    // axis titles
    ctx.fillStyle = '#444';
    ctx.font = '12px system-ui, sans-serif';
    ctx.fillText('stream time (s)', left + pw / 2, top + ph + 22);
    ctx.save();
    ctx.translate(12, top + ph / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = 'middle';
    ctx.fillText('probability', 0, 0);
    ctx.restore();

    // the uncertain threshold (its label drawn after the lines, on a white box)
    const threshold = () => {
      if (!state.uncertainBelow) return;
      const yy = Math.round(y(state.uncertainBelow)) + 0.5, text = `uncertain below ${pct(state.uncertainBelow)}`;
      ctx.font = '10px system-ui, sans-serif';
      const tw = ctx.measureText(text).width;
      ctx.fillStyle = 'rgba(255,255,255,.85)';
      ctx.fillRect(left + pw - tw - 8, yy - 14, tw + 6, 12);
      ctx.fillStyle = '#666';
      ctx.textAlign = 'right';
      ctx.textBaseline = 'bottom';
      ctx.fillText(text, left + pw - 4, yy - 2);
    };
    if (state.uncertainBelow) {
      const yy = Math.round(y(state.uncertainBelow)) + 0.5;
      ctx.strokeStyle = '#888';
      ctx.setLineDash([4, 4]);
      ctx.beginPath(); ctx.moveTo(left, yy); ctx.lineTo(left + pw, yy); ctx.stroke();
      ctx.setLineDash([]);
    }

    if (state.history.length === 0) {
      ctx.fillStyle = '#999';
      ctx.font = '13px system-ui, sans-serif';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText('waiting for predictions…', left + pw / 2, top + ph / 2);
      threshold();
      return;
    }
    const shownHops = state.history.filter(m => m.t >= tStart);
    ctx.save();
    ctx.beginPath(); ctx.rect(left, top, pw, ph); ctx.clip();
    state.labels.forEach(l => {
      const colour = colorOf(l);
      // per hop: thin, faint, a dot at each hop
      ctx.strokeStyle = colour; ctx.fillStyle = colour;
      ctx.globalAlpha = 0.45;
      ctx.lineWidth = 1;
      ctx.beginPath();
      shownHops.forEach((m, i) => { const px = x(m.t), py = y(m.probabilities[l]); if (i === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py); });
      ctx.stroke();
      if (pw / Math.max(1, shownHops.length) >= 6) for (const m of shownHops) { ctx.beginPath(); ctx.arc(x(m.t), y(m.probabilities[l]), 1.8, 0, 2 * Math.PI); ctx.fill(); }
      // smoothed: thick, solid
      ctx.globalAlpha = 1;
      ctx.lineWidth = 2.5;
      ctx.beginPath();
      shownHops.forEach((m, i) => { const px = x(m.t), py = y(m.smoothedProbabilities[l]); if (i === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py); });
      ctx.stroke();
    });
    ctx.restore();
    threshold();
  }

  window.liveColorOf = colorOf; // the page's palette, for tests
  window.liveShow = onMessage; // renders a message as if it came from the node (tests, embedding)
  window.addEventListener('resize', draw);
  el('start').onclick = start;
  el('stop').onclick = stop;
  draw();
  if (params.get('autostart') === '1') start();
})();
