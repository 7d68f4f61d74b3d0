using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using Akka.Actor;
using EmotionCluster.Audio;
using Xunit;

namespace EmotionCluster.Streaming.Tests;

/// <summary>Issue 15, "honest live output": hops whose smoothed emotion is unsure say so, windows too quiet or clipped are flagged.</summary>
public sealed class UncertainHopTests
{
    private static StreamSession Session(string smoothing = "none", double uncertainBelow = 0.4) =>
        new(100, new StreamingSettings { WindowSeconds = 1, HopSeconds = 0.5, MaxBufferedSeconds = 2, Smoothing = smoothing, UncertainBelow = uncertainBelow });

    [Fact]
    public void A_hop_is_uncertain_while_the_smoothed_top_probability_is_below_the_threshold()
    {
        var s = Session();
        HopResult sure = s.Complete(new WindowSpan(0, 100), [0.7f, 0.2f, 0.1f]);
        HopResult unsure = s.Complete(new WindowSpan(50, 100), [0.35f, 0.33f, 0.32f]);
        HopResult atThreshold = s.Complete(new WindowSpan(100, 100), [0.4f, 0.35f, 0.25f]);

        Assert.False(sure.Uncertain);
        Assert.Equal(0.7f, sure.Confidence);
        Assert.True(unsure.Uncertain);
        Assert.Equal(0.35f, unsure.Confidence);
        Assert.False(atThreshold.Uncertain); // "below" is strict
    }

    [Fact]
    public void Uncertainty_is_judged_on_the_smoothed_probabilities_not_on_the_hop()
    {
        var s = Session("ema:0.5");
        s.Complete(new WindowSpan(0, 100), [0.9f, 0.1f, 0f]);
        s.Complete(new WindowSpan(50, 100), [0f, 0.1f, 0.9f]); // smoothed: 0.45, 0.1, 0.45
        HopResult third = s.Complete(new WindowSpan(100, 100), [0f, 0.9f, 0.1f]); // smoothed: 0.225, 0.5, 0.275; the hop alone is 0.9 sure

        Assert.Equal(1, third.Smoothed.Label);
        Assert.Equal(0.5f, third.Confidence, 1e-6f);
        Assert.False(third.Uncertain);

        var s2 = Session("ema:0.5");
        s2.Complete(new WindowSpan(0, 100), [0.1f, 0.8f, 0.1f]);
        HopResult flip = s2.Complete(new WindowSpan(50, 100), [0.1f, 0f, 0.9f]); // the hop is 0.9 sure, smoothed 0.1, 0.4, 0.5
        Assert.Equal(0.5f, flip.Confidence, 1e-6f);
        HopResult flop = s2.Complete(new WindowSpan(100, 100), [0.9f, 0.05f, 0.05f]); // smoothed 0.5, 0.225, 0.275: still 0.5
        Assert.False(flop.Uncertain);
        HopResult torn = s2.Complete(new WindowSpan(150, 100), [0f, 0.9f, 0.1f]); // smoothed 0.25, 0.5625, 0.1875
        Assert.False(torn.Uncertain);
        HopResult split = s2.Complete(new WindowSpan(200, 100), [0.45f, 0f, 0.55f]); // smoothed 0.35, 0.28125, 0.36875
        Assert.Equal(0.36875f, split.Confidence, 1e-6f);
        Assert.True(split.Uncertain); // though every hop alone had a winner at 0.55 or more
    }

    [Fact]
    public void With_majority_smoothing_the_confidence_is_the_voted_emotions_mean_probability()
    {
        var s = Session("majority:3");
        s.Complete(new WindowSpan(0, 100), [0.5f, 0.45f, 0.05f]);
        s.Complete(new WindowSpan(50, 100), [0.1f, 0.8f, 0.1f]);
        HopResult r = s.Complete(new WindowSpan(100, 100), [0.38f, 0.32f, 0.3f]); // votes 0, 1, 0: label 0, mean 0.3267

        Assert.Equal(0, r.Smoothed.Label);
        Assert.Equal((0.5f + 0.1f + 0.38f) / 3, r.Confidence, 1e-6f);
        Assert.True(r.Uncertain);
    }

    [Fact]
    public void Zero_turns_the_uncertain_state_off_and_the_default_is_0_4()
    {
        Assert.Equal(0.4, new StreamingSettings().UncertainBelow);
        var s = Session(uncertainBelow: 0);
        Assert.False(s.Complete(new WindowSpan(0, 100), [0.34f, 0.33f, 0.33f]).Uncertain);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void A_threshold_outside_0_to_1_is_refused_naming_the_setting(double value)
    {
        var e = Assert.Throws<ArgumentException>(new StreamingSettings { UncertainBelow = value }.Validate);
        Assert.Contains("EmotionCluster:Streaming: UncertainBelow", e.Message);
        Assert.Contains("0 turns it off", e.Message);
    }

    [Fact]
    public void The_windows_level_is_carried_with_its_warnings()
    {
        var s = Session();
        InputLevel quiet = InputLevel.Measure(new float[100], 100);
        HopResult r = s.Complete(new WindowSpan(0, 100), [0.8f, 0.1f, 0.1f], quiet);
        Assert.Same(quiet, r.Level);
        Assert.Equal(LevelWarning.TooQuiet, r.Warnings);
        Assert.Equal(LevelWarning.None, s.Complete(new WindowSpan(50, 100), [0.8f, 0.1f, 0.1f]).Warnings); // not measured: no warning
    }
}
