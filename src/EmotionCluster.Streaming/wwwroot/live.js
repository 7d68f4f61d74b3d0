// EmotionCluster live page: microphone -> 16-bit PCM over a WebSocket (/ws/stream) -> per-hop emotion probabilities,
// drawn as a line chart (last 30 s) and bars. No external libraries: this runs on nodes without internet access.
(function () {
  'use strict';
  const params = new URLSearchParams(location.search);
  const token = params.get('token');
  const colors = ['#d62728', '#1f77b4', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
  const state = window.liveState = { started: false, predictions: 0, overloads: 0, errors: [], labels: [], last: null, history: [], ended: false };
  const el = id => document.getElementById(id);
  const statusEl = el('status'), currentEl = el('current'), canvas = el('chart'), ctx = canvas.getContext('2d');
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

  function onMessage(m) {
    if (m.type === 'started') {
      state.started = true;
      state.labels = m.labels;
      setStatus(`streaming (model ${m.model}, window ${m.windowSeconds} s every ${m.hopSeconds} s)…`);
      legend();
    } else if (m.type === 'prediction') {
      state.predictions++;
      state.last = m;
      state.history.push(m);
      if (state.history.length > 600) state.history.shift();
      currentEl.innerHTML = '';
      currentEl.append(document.createTextNode(m.smoothed));
      const small = document.createElement('small');
      small.textContent = `this hop: ${m.label} · t = ${m.t.toFixed(1)} s · ${m.latencyMs.toFixed(0)} ms`;
      currentEl.append(small);
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
    el('stats').textContent = `predictions ${state.predictions} · overload reports ${state.overloads}`;
  }

  function legend() {
    const lg = el('legend');
    lg.innerHTML = '';
    state.labels.forEach((l, i) => {
      const s = document.createElement('span');
      const sw = document.createElement('i');
      sw.style.background = colors[i % colors.length];
      s.append(sw, document.createTextNode(l));
      lg.append(s);
    });
  }

  function bars(m) {
    const host = el('bars');
    host.innerHTML = '';
    state.labels.forEach((l, i) => {
      const row = document.createElement('div');
      row.className = 'bar';
      const name = document.createElement('label');
      const p = m.smoothedProbabilities[l];
      name.textContent = `${l} ${(100 * p).toFixed(0)}%`;
      const bar = document.createElement('div');
      bar.style.width = `${Math.round(600 * p)}px`;
      bar.style.background = colors[i % colors.length];
      row.append(name, bar);
      host.append(row);
    });
  }

  function draw() {
    const w = canvas.width, h = canvas.height, pad = 30, span = 30;
    ctx.clearRect(0, 0, w, h);
    ctx.strokeStyle = '#eee';
    ctx.fillStyle = '#888';
    ctx.font = '11px sans-serif';
    for (let k = 0; k <= 4; k++) {
      const y = pad + (h - 2 * pad) * (1 - k / 4);
      ctx.beginPath(); ctx.moveTo(pad, y); ctx.lineTo(w - 10, y); ctx.stroke();
      ctx.fillText((k / 4).toFixed(2), 2, y + 4);
    }
    if (state.history.length === 0) return;
    const tEnd = state.history[state.history.length - 1].t, tStart = Math.max(0, tEnd - span);
    const shown = Math.max(tEnd - tStart, 5); // seconds across the chart: up to the last 30 s, at least 5
    const x = t => pad + (w - pad - 10) * (t - tStart) / shown;
    const y = p => pad + (h - 2 * pad) * (1 - p);
    ctx.fillText(`${tStart.toFixed(0)} s`, pad, h - 8);
    ctx.fillText(`${(tStart + shown).toFixed(1)} s`, w - 50, h - 8);
    state.labels.forEach((l, i) => {
      ctx.strokeStyle = colors[i % colors.length];
      ctx.lineWidth = 2;
      ctx.beginPath();
      let first = true;
      for (const m of state.history) {
        if (m.t < tStart) continue;
        const px = x(m.t), py = y(m.probabilities[l]);
        if (first) { ctx.moveTo(px, py); first = false; } else ctx.lineTo(px, py);
      }
      ctx.stroke();
    });
  }

  el('start').onclick = start;
  el('stop').onclick = stop;
  draw();
  if (params.get('autostart') === '1') start();
})();
