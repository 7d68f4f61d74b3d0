using Xunit;

namespace EmotionCluster.Reporting.Tests;

public class ConfusionAnalysisTests
{
    private static readonly string[] Abc = ["a", "b", "c"];

    [Fact]
    public void Picks_best_and_worst_class_and_the_most_confused_pair()
    {
        var facts = ConfusionAnalysis.Analyze(SyntheticRun.Labels, SyntheticRun.TestConfusion);

        Assert.Equal(("sadness", 10, 10), (facts.Best.Label, facts.Best.Correct, facts.Best.Total));
        Assert.Equal(("happiness", 4, 10), (facts.Worst.Label, facts.Worst.Correct, facts.Worst.Total));
        Assert.Equal(new ConfusedPair("happiness", "anger", 5, 10), facts.MostConfused);
        Assert.Equal(new ConfusedPair("anger", "happiness", 1, 13), facts.Reverse);
        Assert.Equal((65, 51), (facts.Total, facts.Correct));
        Assert.Equal((12 / 13.0 + 7 / 9.0 + 6 / 7.0 + 6 / 8.0 + 0.4 + 1 + 6 / 8.0) / 7, facts.Uar, 12);
    }

    [Fact]
    public void Most_confused_is_by_share_of_the_true_class_not_by_count()
    {
        int[][] m =
        [
            [80, 20, 0], // a: 20 of 100 taken for b (20%)
            [0, 5, 5],   // b: 5 of 10 taken for c (50%)
            [1, 0, 9],
        ];
        var facts = ConfusionAnalysis.Analyze(Abc, m);

        Assert.Equal(new ConfusedPair("b", "c", 5, 10), facts.MostConfused);
        Assert.Equal(new ConfusedPair("c", "b", 0, 10), facts.Reverse);
        Assert.Equal(("c", "b"), (facts.Best.Label, facts.Worst.Label)); // recalls 80%, 50%, 90%
    }

    [Fact]
    public void Ties_go_to_the_larger_count_then_to_the_first_label()
    {
        var byCount = ConfusionAnalysis.Analyze(Abc, [[1, 1, 0], [0, 2, 2], [0, 0, 4]]); // a→b 1/2 and b→c 2/4: same share
        Assert.Equal(new ConfusedPair("b", "c", 2, 4), byCount.MostConfused);

        var first = ConfusionAnalysis.Analyze(Abc, [[1, 1, 0], [1, 1, 0], [0, 0, 2]]);
        Assert.Equal(new ConfusedPair("a", "b", 1, 2), first.MostConfused);
        Assert.Equal("c", first.Best.Label);
        Assert.Equal("a", first.Worst.Label); // a and b both 50%: the first
    }

    [Fact]
    public void Classes_without_clips_are_left_out_and_a_perfect_matrix_has_no_confusion()
    {
        var facts = ConfusionAnalysis.Analyze(Abc, [[3, 0, 0], [0, 0, 0], [0, 0, 2]]);

        Assert.Equal(["a", "c"], facts.Recalls.Select(r => r.Label));
        Assert.Null(facts.MostConfused);
        Assert.Null(facts.Reverse);
        Assert.Equal(1.0, facts.Uar);
        Assert.Equal("No clip was misclassified.", ResultsText.ConfusionSentence(facts));
        Assert.Equal("every emotion is recognised equally well (recall 100.0%).", ResultsText.ClassSentence(facts));
    }

    [Fact]
    public void Sentences_carry_the_numbers_of_the_matrix()
    {
        var facts = ConfusionAnalysis.Analyze(SyntheticRun.Labels, SyntheticRun.TestConfusion);

        Assert.Equal("sadness is recognised best (recall 100.0%, 10 of 10 clips) and happiness worst (recall 40.0%, 4 of 10 clips).",
            ResultsText.ClassSentence(facts));
        Assert.Equal("The largest confusion is happiness taken for anger: 5 of 10 happiness clips (50.0%); " +
                     "the other way round, 1 of 13 anger clips (7.7%) were taken for happiness.", ResultsText.ConfusionSentence(facts));
    }

    [Fact]
    public void Bad_matrices_are_rejected()
    {
        Assert.Contains("3 x 3", Assert.Throws<ArgumentException>(() => ConfusionAnalysis.Analyze(Abc, [[1, 0], [0, 1]])).Message);
        Assert.Contains("negative", Assert.Throws<ArgumentException>(() => ConfusionAnalysis.Analyze(Abc, [[1, 0, 0], [0, -1, 0], [0, 0, 1]])).Message);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => ConfusionAnalysis.Analyze(Abc, [[0, 0, 0], [0, 0, 0], [0, 0, 0]])).Message);
    }
}
