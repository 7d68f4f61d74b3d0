#!/usr/bin/python3
"""Training throughput of the SerCnn architecture in PyTorch, for comparison with EmotionCluster.Model.TrainingBenchmark.

Same network as src/EmotionCluster.Model/SerCnn.cs (per block: Conv2d k x k, 'same' padding, no bias; BatchNorm2d;
MaxPool2d 2; ReLU; Dropout; then global average pooling, Linear + ReLU + Dropout, Linear to the logits), same
optimizer (AdamW lr 1e-3, betas 0.9/0.999, eps 1e-8, weight decay 1e-2), plain cross entropy, random data.
Each timed step: zero_grad, forward, loss, backward, optimizer step, loss.item().

    /usr/bin/python3 tools/reference/bench_pytorch_cnn.py --threads 1
    /usr/bin/python3 tools/reference/bench_pytorch_cnn.py --threads 2
"""
import argparse
import json
import time

import torch
from torch import nn


def ser_cnn(bins, frames, classes, channels, kernel, conv_dropout, dense, dense_dropout):
    layers = []
    in_channels = 1
    for c in channels:
        layers += [nn.Conv2d(in_channels, c, kernel, padding=kernel // 2, bias=False), nn.BatchNorm2d(c),
                   nn.MaxPool2d(2), nn.ReLU(), nn.Dropout(conv_dropout)]
        in_channels = c
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(in_channels, dense), nn.ReLU(),
               nn.Dropout(dense_dropout), nn.Linear(dense, classes)]
    return nn.Sequential(*layers)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--bins", type=int, default=64)
    p.add_argument("--frames", type=int, default=300)
    p.add_argument("--classes", type=int, default=7)
    p.add_argument("--channels", default="16,32,64,128")
    p.add_argument("--kernel", type=int, default=3)
    p.add_argument("--conv-dropout", type=float, default=0.1)
    p.add_argument("--dense", type=int, default=64)
    p.add_argument("--dense-dropout", type=float, default=0.3)
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    channels = [int(c) for c in a.channels.split(",")]
    model = ser_cnn(a.bins, a.frames, a.classes, channels, a.kernel, a.conv_dropout, a.dense, a.dense_dropout)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(a.batch_size, 1, a.bins, a.frames) * 2 - 1
    y = torch.arange(a.batch_size) % a.classes

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    for _ in range(a.warmup):
        step()
    start, cpu_start = time.perf_counter(), time.process_time()
    for _ in range(a.steps):
        step()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    print(json.dumps({
        "framework": f"pytorch {torch.__version__}", "threads": torch.get_num_threads(), "batch_size": a.batch_size,
        "steps": a.steps, "parameters": sum(p.numel() for p in model.parameters()),
        "samples_per_second": round(a.steps * a.batch_size / elapsed, 2),
        "samples_per_cpu_second": round(a.steps * a.batch_size / cpu, 2)}))


if __name__ == "__main__":
    main()
