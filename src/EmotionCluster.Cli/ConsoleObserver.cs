using EmotionCluster.Experiments;
using EmotionCluster.Extraction;

namespace EmotionCluster.Cli;

/// <summary>
/// Progress of long commands: a bar redrawn in place on a terminal (stderr), plain lines otherwise (every 10% of an
/// extraction; every epoch). Result lines go to the command's output.
/// </summary>
public sealed class ConsoleObserver(TextWriter output, TextWriter progress) : IRunObserver
{
    private readonly bool _terminal = ReferenceEquals(progress, Console.Error) && !Console.IsErrorRedirected;
    private readonly Lock _gate = new();
    private int _lastTenth = -1;
    private bool _barOpen;

    public static string Bar(double fraction, int width = 30)
    {
        int filled = (int)Math.Round(Math.Clamp(fraction, 0, 1) * width);
        return "[" + new string('#', filled) + new string('-', width - filled) + "]";
    }

    public void Extraction(BatchProgress p)
    {
        lock (_gate)
        {
            double fraction = p.Total == 0 ? 1 : (double)(p.Done + p.Failed) / p.Total;
            string text = $"features {Bar(fraction)} {p.Done + p.Failed}/{p.Total}" + (p.Failed > 0 ? $" ({p.Failed} failed)" : "");
            if (_terminal)
            {
                progress.Write("\r" + text);
                _barOpen = true;
                if (p.Done + p.Failed == p.Total) EndBar();
                return;
            }
            int tenth = (int)(fraction * 10);
            if (tenth != _lastTenth) { _lastTenth = tenth; progress.WriteLine(text); }
        }
    }

    public void Epoch(TrainingProgress p)
    {
        var e = p.Epoch;
        string where = p.Folds > 0 ? $"fold {p.Fold}/{p.Folds} " : "";
        string validation = e.ValidationUar is { } uar
            ? FormattableString.Invariant($" | val loss {e.ValidationLoss:0.000} UAR {uar:0.000}") + (e.IsBest ? " *" : "")
            : "";
        string text = where + FormattableString.Invariant($"epoch {e.Epoch}/{p.MaxEpochs} {Bar((double)e.Epoch / p.MaxEpochs, 20)} loss {e.TrainLoss:0.000} acc {e.TrainAccuracy:0.000}")
                      + validation + FormattableString.Invariant($" ({e.Elapsed.TotalSeconds:0.0}s)");
        lock (_gate)
        {
            EndBar();
            progress.WriteLine(text);
        }
    }

    public void Line(string text)
    {
        lock (_gate)
        {
            EndBar();
            output.WriteLine(text);
        }
    }

    private void EndBar()
    {
        if (!_barOpen) return;
        progress.WriteLine();
        _barOpen = false;
    }
}
