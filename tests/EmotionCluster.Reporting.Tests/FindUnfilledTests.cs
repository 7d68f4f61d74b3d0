using Xunit;

namespace EmotionCluster.Reporting.Tests;

public class FindUnfilledTests
{
    [Theory]
    [InlineData("Accuracy: {accuracy}", "placeholder in braces")]
    [InlineData("The model reaches TODO.", "'TODO' marker")]
    [InlineData("Learning rate TBD", "'TBD' marker")]
    [InlineData("UAR NaN%", "a number is NaN or infinite")]
    [InlineData("Loss ∞", "a number is NaN or infinite")]
    [InlineData("![curve]()", "empty link target")]
    [InlineData("| Batch size |  |", "empty table cell")]
    [InlineData("| Batch size | N/A |", "table cell without a value ('N/A')")]
    [InlineData("| Batch size | n/a |", "table cell without a value ('n/a')")]
    [InlineData("| Batch size | — |", "table cell without a value ('—')")]
    [InlineData("| Batch size | ? |", "table cell without a value ('?')")]
    [InlineData("| | 32 |", "empty table cell")]
    public void Finds_a_leftover_placeholder(string line, string reason)
    {
        var found = ResearchReport.FindUnfilled($"# Report\n\nintro\n{line}\n");
        var item = Assert.Single(found);
        Assert.Equal((4, reason, line), (item.Line, item.Reason, item.Text));
    }

    [Fact]
    public void Filled_text_and_explicit_notes_are_not_placeholders()
    {
        string md = string.Join("\n",
            "# Report",
            "| Setting | Value |",
            "| --- | ---: |",
            "| Augmentation | none |",
            "| Pipe | a \\| b |",
            "| Neutral | no clips |",
            "Cross-validation: not run in this report (run `emotioncluster crossval …`).",
            "Accuracy 72.4% ± 8.1 pp; NaNa and TODOS are words.",
            "");
        Assert.Empty(ResearchReport.FindUnfilled(md));
    }

    [Fact]
    public void An_escaped_pipe_does_not_hide_an_empty_cell()
    {
        var item = Assert.Single(ResearchReport.FindUnfilled("| a \\| b | |\n"));
        Assert.Equal("empty table cell", item.Reason);
    }
}
