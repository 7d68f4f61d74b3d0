// Records the epochs of one run through an EvaluatorActor, one at a time, waiting for each to be in the journal:
//   EmotionCluster.Evaluator.TestHost --provider sqlite --db "Data Source=x.db" --run RUN --epochs N [--delay-ms D]
// Prints "recovered K epochs" (what the journal already held), then "persisted epoch E" after each acknowledged
// epoch, then "completed" after CompleteRun. A restarted process continues after the last persisted epoch.
using Akka.Actor;
using Akka.Hosting;
using EmotionCluster.Evaluator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var options = new Dictionary<string, string>();
for (int i = 0; i + 1 < args.Length; i += 2) options[args[i]] = args[i + 1];
string Need(string name) => options.TryGetValue(name, out string? v) ? v : throw new ArgumentException($"missing {name}");

var settings = new PersistenceSettings { Provider = options.GetValueOrDefault("--provider", "sqlite"), ConnectionString = Need("--db") };
string runId = Need("--run");
int epochs = int.Parse(Need("--epochs"));
int delayMs = int.Parse(options.GetValueOrDefault("--delay-ms", "0"));
string[] labels = ["anger", "boredom", "neutral"];

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], DisableDefaults = true });
builder.Logging.ClearProviders();
builder.Services.AddAkka("evaluator-test-host", (akka, _) =>
{
    akka.AddHocon("akka.loglevel = WARNING", HoconAddMode.Prepend);
    akka.AddEmotionClusterPersistence(settings);
});
using IHost host = builder.Build();
await host.StartAsync();
var system = host.Services.GetRequiredService<ActorSystem>();
var evaluator = system.ActorOf(EvaluatorActor.PropsFor(runId), "evaluator-" + runId);
var timeout = TimeSpan.FromSeconds(20);

async Task Send(IEvaluatorCommand command)
{
    object reply = await evaluator.Ask<object>(command, timeout);
    if (reply is EvaluatorRejected r) throw new InvalidOperationException(r.Reason);
}

RunView view = await evaluator.Ask<RunView>(new GetRun(runId), timeout);
Console.WriteLine($"recovered {view.Epochs.Count} epochs");
if (view.Started is null) await Send(new StartRun(runId, "{\"host\":\"test\"}", labels));
int next = view.Epochs.Count == 0 ? 1 : view.Epochs[^1].Epoch + 1;
for (int epoch = next; epoch <= epochs; epoch++)
{
    // a deterministic, epoch-dependent confusion matrix: accuracy rises with the epoch
    int right = 10 + epoch % 7;
    int[][] confusion = [[right, 2, 1], [3, right, 2], [1, 1, right + epoch % 3]];
    var report = EmotionCluster.Metrics.ClassificationMetrics.FromConfusion(confusion, labels);
    await Send(RecordEpoch.FromReport(runId, epoch, 2.0 / epoch, 2.2 / epoch + 0.05, report));
    Console.WriteLine($"persisted epoch {epoch}");
    if (delayMs > 0) await Task.Delay(delayMs);
}
await Send(new CompleteRun(runId, null, null));
Console.WriteLine("completed");
await host.StopAsync();
return 0;
