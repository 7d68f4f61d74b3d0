using System.Text;

namespace EmotionCluster.Corpora;

/// <summary>
/// RFC 4180 CSV: fields separated by the delimiter, optionally in double quotes (a quote inside doubled, delimiters and
/// line breaks allowed inside quotes), CRLF or LF line ends. Blank lines are skipped. Each record keeps the line it
/// starts on, for error messages.
/// </summary>
public static class CsvReader
{
    public sealed record Record(int Line, string[] Fields);

    /// <summary>
    /// The delimiter of a CSV, from its first line: the one of ',', ';' and TAB that occurs most often outside quotes
    /// (',' when none does).
    /// </summary>
    public static char SniffDelimiter(string text)
    {
        int end = text.IndexOf('\n');
        string first = end < 0 ? text : text[..end];
        var counts = new Dictionary<char, int> { [','] = 0, [';'] = 0, ['\t'] = 0 };
        bool quoted = false;
        foreach (char c in first)
        {
            if (c == '"') quoted = !quoted;
            else if (!quoted && counts.ContainsKey(c)) counts[c]++;
        }
        var best = counts.OrderByDescending(kv => kv.Value).First();
        return best.Value > 0 ? best.Key : ',';
    }

    /// <exception cref="InvalidDataException">A quoted field is not closed, or text follows a closing quote.</exception>
    public static List<Record> Read(string text, char? delimiter = null)
    {
        char sep = delimiter ?? SniffDelimiter(text);
        var records = new List<Record>();
        var fields = new List<string>();
        var field = new StringBuilder();
        int line = 1, recordLine = 1, i = 0;
        bool any = false; // the current record has content (so a blank line is not a record)
        if (text.Length > 0 && text[0] == '\uFEFF') i = 1;
        while (i < text.Length)
        {
            char c = text[i];
            if (c == '"' && field.Length == 0)
            {
                int quoteLine = line;
                i++;
                while (true)
                {
                    if (i >= text.Length) throw new InvalidDataException($"line {quoteLine}: a quoted field is not closed");
                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i += 2; continue; }
                        i++;
                        break;
                    }
                    if (text[i] == '\n') line++;
                    field.Append(text[i++]);
                }
                any = true;
                if (i < text.Length && text[i] != sep && text[i] != '\r' && text[i] != '\n')
                    throw new InvalidDataException($"line {line}: text after a closing quote; quote the whole field and double quotes inside it");
                continue;
            }
            if (c == sep)
            {
                fields.Add(field.ToString());
                field.Clear();
                any = true;
                i++;
                continue;
            }
            if (c == '\r' || c == '\n')
            {
                if (any || field.Length > 0)
                {
                    fields.Add(field.ToString());
                    records.Add(new Record(recordLine, fields.ToArray()));
                }
                fields.Clear();
                field.Clear();
                any = false;
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                i++;
                line++;
                recordLine = line;
                continue;
            }
            if (!any && field.Length == 0) recordLine = line;
            field.Append(c);
            any = true;
            i++;
        }
        if (any || field.Length > 0)
        {
            fields.Add(field.ToString());
            records.Add(new Record(recordLine, fields.ToArray()));
        }
        return records;
    }

    /// <summary>A field for writing: quoted when it holds the delimiter, a quote or a line break.</summary>
    public static string Escape(string value, char delimiter = ',') =>
        value.IndexOfAny([delimiter, '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
}
