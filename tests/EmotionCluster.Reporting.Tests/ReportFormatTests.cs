using Xunit;

namespace EmotionCluster.Reporting.Tests;

public class ReportFormatTests
{
    [Fact]
    public void Formats_are_fixed_and_culture_independent()
    {
        var saved = Thread.CurrentThread.CurrentCulture;
        Thread.CurrentThread.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
        try
        {
            Assert.Equal("72.4%", ReportFormat.Percent(0.7243));
            Assert.Equal("100.0%", ReportFormat.Percent(1));
            Assert.Equal("72.4% ± 8.1 pp", ReportFormat.MeanStd(0.7243, 0.081));
            Assert.Equal("5.1", ReportFormat.Points(-0.051));
            Assert.Equal("123,456", ReportFormat.Count(123456));
            Assert.Equal("0.0003", ReportFormat.Number(3e-4));
            Assert.Equal("2.61 s", ReportFormat.Seconds(2.6149));
            Assert.Equal("45.0 s", ReportFormat.Span(TimeSpan.FromSeconds(45)));
            Assert.Equal("2 h 0 min 5 s", ReportFormat.Span(TimeSpan.FromSeconds(7205)));
        }
        finally
        {
            Thread.CurrentThread.CurrentCulture = saved;
        }
    }
}
