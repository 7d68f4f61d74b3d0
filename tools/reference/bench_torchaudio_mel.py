#!/usr/bin/python3
"""torchaudio 0.13 log-mel throughput, for bench/EmotionCluster.Bench (which starts this script and passes the
same clip list and settings it uses for its own extractor).

    /usr/bin/python3 tools/reference/bench_torchaudio_mel.py --list clips.txt --settings mel.json \
        --threads 1 --repeat 5

--list: one WAV path per line. --settings: JSON with EmotionCluster.Features.MelSettings property names.
All clips are loaded first (torchaudio.load); only MelSpectrogram + AmplitudeToDB, one clip per call as the C# side
does it, is timed. Untimed warm-up (at least one pass and one second), then --repeat timed passes over all clips.
Prints one JSON object: threads, clips, audio_seconds, pass_seconds (list), frames (sum of output frames).
"""
import argparse
import json
import time

import torch
import torchaudio

WINDOWS = {"Hann": torch.hann_window, "Hamming": torch.hamming_window, "Blackman": torch.blackman_window,
           "Rectangular": torch.ones}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--list", required=True)
    ap.add_argument("--settings", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    with open(args.settings) as fh:
        s = json.load(fh)
    mel = torchaudio.transforms.MelSpectrogram(
        sample_rate=s["SampleRate"], n_fft=s["NFft"], win_length=s["WinLength"], hop_length=s["HopLength"],
        f_min=s["FMin"], f_max=s.get("FMax"), pad=0, n_mels=s["NMels"], window_fn=WINDOWS[s["Window"]],
        power=s["Power"], normalized=False, center=s["Center"], pad_mode=s["PadMode"].lower(), onesided=True,
        norm=None if s["Norm"] == "None" else s["Norm"].lower(), mel_scale=s["Scale"].lower())
    to_db = torchaudio.transforms.AmplitudeToDB(stype="power", top_db=s.get("TopDb"))

    with open(args.list) as fh:
        paths = [line.strip() for line in fh if line.strip()]
    waves = []
    audio_seconds = 0.0
    for p in paths:
        w, rate = torchaudio.load(p)
        if rate != s["SampleRate"]:
            raise SystemExit(f"{p}: {rate} Hz, the settings say {s['SampleRate']} Hz")
        waves.append(w)
        audio_seconds += w.shape[-1] / rate

    def one_pass():
        frames = 0
        for w in waves:
            frames += to_db(mel(w)).shape[-1]
        return frames

    with torch.inference_mode():
        # warm-up: at least one pass and one second, as on the C# side
        frames = one_pass()
        warm = time.perf_counter()
        while time.perf_counter() - warm < 1.0:
            one_pass()
        seconds = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            one_pass()
            seconds.append(time.perf_counter() - start)
    print(json.dumps(dict(threads=torch.get_num_threads(), clips=len(waves), audio_seconds=audio_seconds,
                          pass_seconds=seconds, frames=frames)))


if __name__ == "__main__":
    main()
