using System.Globalization;
using System.Text;

namespace EmotionCluster.Reporting;

/// <summary>Number formats of the report: every rate is a percentage with one decimal, invariant culture.</summary>
public static class ReportFormat
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>0.7243 → "72.4%".</summary>
    public static string Percent(double share) => (share * 100).ToString("0.0", C) + "%";

    /// <summary>Size of a difference of two shares in percentage points, unsigned: -0.051 → "5.1".</summary>
    public static string Points(double shareDifference) => (Math.Abs(shareDifference) * 100).ToString("0.0", C);

    /// <summary>Mean and standard deviation of shares: "72.4% ± 8.1 pp".</summary>
    public static string MeanStd(double mean, double std) => $"{Percent(mean)} ± {(std * 100).ToString("0.0", C)} pp";

    /// <summary>Counts with thousands separators: 123456 → "123,456".</summary>
    public static string Count(long n) => n.ToString("N0", C);

    /// <summary>Shortest round-trip form: 0.001 → "0.001", 3e-4 → "0.0003".</summary>
    public static string Number(double x) => x.ToString("G", C);

    public static string Seconds(double s) => s.ToString("0.00", C) + " s";

    public static string Time(DateTimeOffset t) => t.ToString("yyyy-MM-dd HH:mm:ss zzz", C);

    public static string Span(TimeSpan d) =>
        d.TotalHours >= 1 ? $"{(int)d.TotalHours} h {d.Minutes} min {d.Seconds} s"
        : d.TotalMinutes >= 1 ? $"{d.Minutes} min {d.Seconds} s"
        : d.TotalSeconds.ToString("0.0", C) + " s";
}

/// <summary>Appends GitHub-flavoured Markdown.</summary>
internal sealed class MarkdownBuilder
{
    private readonly StringBuilder _sb = new();

    public MarkdownBuilder Heading(int level, string text)
    {
        _sb.Append('#', level).Append(' ').AppendLine(text).AppendLine();
        return this;
    }

    public MarkdownBuilder Paragraph(string text)
    {
        _sb.AppendLine(text).AppendLine();
        return this;
    }

    public MarkdownBuilder Bullets(IEnumerable<string> items)
    {
        foreach (string item in items) _sb.Append("- ").AppendLine(item);
        _sb.AppendLine();
        return this;
    }

    public MarkdownBuilder Code(string text)
    {
        int fence = 3;
        while (text.Contains(new string('`', fence))) fence++;
        _sb.Append('`', fence).AppendLine().AppendLine(text).Append('`', fence).AppendLine().AppendLine();
        return this;
    }

    public MarkdownBuilder Image(string alt, string link)
    {
        _sb.Append("![").Append(alt.Replace("[", "(").Replace("]", ")")).Append("](").Append(link).AppendLine(")").AppendLine();
        return this;
    }

    /// <summary>A table; columns whose header starts with '&gt;' are right-aligned (the marker is dropped).</summary>
    public MarkdownBuilder Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        bool[] right = headers.Select(h => h.StartsWith('>')).ToArray();
        Row(headers.Select(h => h.TrimStart('>')).ToList());
        _sb.Append('|');
        foreach (bool r in right) _sb.Append(r ? " ---: |" : " --- |");
        _sb.AppendLine();
        foreach (var row in rows)
        {
            if (row.Count != headers.Count)
                throw new InvalidOperationException($"a table row has {row.Count} cells for {headers.Count} columns");
            Row(row);
        }
        _sb.AppendLine();
        return this;
    }

    private void Row(IReadOnlyList<string> cells)
    {
        _sb.Append('|');
        foreach (string cell in cells) _sb.Append(' ').Append(Cell(cell)).Append(" |");
        _sb.AppendLine();
    }

    /// <summary>One line, pipes escaped.</summary>
    public static string Cell(string text) =>
        text.Replace("\r\n", " ").Replace('\n', ' ').Replace('\r', ' ').Replace("|", "\\|").Trim();

    public override string ToString() => _sb.ToString();
}
