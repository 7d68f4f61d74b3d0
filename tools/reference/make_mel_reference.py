#!/usr/bin/python3
"""Writes torchaudio 0.13 reference log-mel / MFCC arrays for the C# parity tests.

Run from the repository root with Debian's Python (torch 1.13, torchaudio 0.13):

    /usr/bin/python3 tools/reference/make_mel_reference.py [--emodb DIR] [--out tests/data/mel-reference]

Output: raw float32 little-endian .f32 files (row-major [bins x frames], batch/channel dims dropped) and
manifest.json with, per case, the clip, the settings (MelSettings property names), the kind and the shape.
Audio is read with torchaudio.load (float in [-1, 1], x / 32768 for 16-bit PCM), with no other processing.
"""
import argparse
import json
import os
import sys

import torch
import torchaudio

CLIPS = ["03a01Wa.wav", "08a01Na.wav", "11a05Fc.wav", "16b10Tb.wav"]

# Keys are EmotionCluster.Features.MelSettings property names; omitted keys take the C# defaults below.
DEFAULTS = dict(SampleRate=16000, NFft=512, WinLength=400, HopLength=160, Window="Hann", NMels=64, FMin=0.0,
                FMax=None, Scale="Htk", Norm="None", Power=2.0, Center=True, PadMode="Reflect", TopDb=80.0)
SETTINGS = {
    # the project's defaults: HTK scale, no norm
    "default": {},
    # Slaney scale + Slaney norm, Blackman window shorter than the FFT, band limits, no dB floor
    "slaney": dict(NFft=1024, WinLength=800, HopLength=256, Window="Blackman", NMels=80, FMin=50.0, FMax=7600.0,
                   Scale="Slaney", Norm="Slaney", TopDb=None),
    # Hamming, not centred, magnitude (power 1), 60 dB floor
    "hamming-nocenter": dict(NFft=256, WinLength=256, HopLength=128, Window="Hamming", NMels=40, FMin=20.0,
                             FMax=4000.0, Power=1.0, Center=False, TopDb=60.0),
    # non-power-of-two FFT, zero padding
    "nfft400": dict(NFft=400, WinLength=400, HopLength=160, NMels=40, PadMode="Constant"),
}
# (settings, n_mfcc): torchaudio's MFCC always uses top_db = 80, so these settings keep TopDb = 80
MFCC = [("default", 20), ("nfft400", 13)]
# a clip cut to fewer samples than n_fft (but more than n_fft / 2, where torch's reflect padding still works)
SHORT = [("03a01Wa.wav", "default", 300)]
FBANKS = ["default", "slaney"]

WINDOWS = {"Hann": torch.hann_window, "Hamming": torch.hamming_window, "Blackman": torch.blackman_window,
           "Rectangular": torch.ones}


def full(name):
    s = dict(DEFAULTS)
    s.update(SETTINGS[name])
    return s


def mel_transform(s):
    return torchaudio.transforms.MelSpectrogram(
        sample_rate=s["SampleRate"], n_fft=s["NFft"], win_length=s["WinLength"], hop_length=s["HopLength"],
        f_min=s["FMin"], f_max=s["FMax"], pad=0, n_mels=s["NMels"], window_fn=WINDOWS[s["Window"]],
        power=s["Power"], normalized=False, center=s["Center"], pad_mode=s["PadMode"].lower(), onesided=True,
        norm=None if s["Norm"] == "None" else s["Norm"].lower(), mel_scale=s["Scale"].lower())


def log_mel(s, wave):
    db = torchaudio.transforms.AmplitudeToDB(stype="power", top_db=s["TopDb"])
    return db(mel_transform(s)(wave))


def mfcc(s, n_mfcc, wave):
    assert s["TopDb"] == 80.0
    melkwargs = dict(n_fft=s["NFft"], win_length=s["WinLength"], hop_length=s["HopLength"], f_min=s["FMin"],
                     f_max=s["FMax"], pad=0, n_mels=s["NMels"], window_fn=WINDOWS[s["Window"]], power=s["Power"],
                     normalized=False, center=s["Center"], pad_mode=s["PadMode"].lower(), onesided=True,
                     norm=None if s["Norm"] == "None" else s["Norm"].lower(), mel_scale=s["Scale"].lower())
    t = torchaudio.transforms.MFCC(sample_rate=s["SampleRate"], n_mfcc=n_mfcc, dct_type=2, norm="ortho",
                                   log_mels=False, melkwargs=melkwargs)
    return t(wave)


def write(out_dir, file_name, tensor):
    arr = tensor.squeeze(0).contiguous().numpy().astype("<f4")
    arr.tofile(os.path.join(out_dir, file_name))
    return list(arr.shape)


def main():
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    datasets = os.environ.get("EMOTIONCLUSTER_DATASETS") or os.path.join(repo, "..", "shared", "datasets")
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--emodb", default=os.path.join(datasets, "emodb"), help="EMO-DB folder (with wav/)")
    ap.add_argument("--out", default=os.path.join(repo, "tests", "data", "mel-reference"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)

    cases = []
    waves = {}
    for clip in CLIPS:
        path = os.path.join(args.emodb, "wav", clip)
        if not os.path.isfile(path):
            sys.exit(f"{path} not found: pass --emodb or set EMOTIONCLUSTER_DATASETS")
        wave, rate = torchaudio.load(path)
        assert rate == 16000 and wave.shape[0] == 1, (path, rate, wave.shape)
        waves[clip] = wave
        stem = clip[:-4]
        for name in SETTINGS:
            f = f"{stem}.{name}.mel.f32"
            cases.append(dict(clip=clip, settings=name, kind="mel", file=f,
                              shape=write(args.out, f, log_mel(full(name), wave))))
        for name, n_mfcc in MFCC:
            f = f"{stem}.{name}.mfcc{n_mfcc}.f32"
            cases.append(dict(clip=clip, settings=name, kind="mfcc", n_mfcc=n_mfcc, file=f,
                              shape=write(args.out, f, mfcc(full(name), n_mfcc, wave))))
    for clip, name, samples in SHORT:
        f = f"{clip[:-4]}.first{samples}.{name}.mel.f32"
        cases.append(dict(clip=clip, samples=samples, settings=name, kind="mel", file=f,
                          shape=write(args.out, f, log_mel(full(name), waves[clip][:, :samples]))))

    fbanks = []
    for name in FBANKS:
        s = full(name)
        fb = torchaudio.functional.melscale_fbanks(
            s["NFft"] // 2 + 1, s["FMin"], s["FMax"] if s["FMax"] is not None else float(s["SampleRate"] // 2),
            s["NMels"], s["SampleRate"], None if s["Norm"] == "None" else s["Norm"].lower(), s["Scale"].lower())
        f = f"fbank.{name}.f32"
        fbanks.append(dict(settings=name, file=f, shape=write(args.out, f, fb.unsqueeze(0))))

    manifest = dict(
        generator="tools/reference/make_mel_reference.py",
        torch=torch.__version__, torchaudio=torchaudio.__version__,
        layout="float32 little-endian, row-major [bins x frames] (fbank: [n_freqs x n_mels])",
        settings={name: full(name) for name in SETTINGS},
        cases=cases, fbanks=fbanks)
    with open(os.path.join(args.out, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=1)
        fh.write("\n")
    total = sum(os.path.getsize(os.path.join(args.out, c["file"])) for c in cases + fbanks)
    print(f"{len(cases)} cases, {len(fbanks)} filterbanks, {total / 1e6:.2f} MB in {args.out}")


if __name__ == "__main__":
    main()
