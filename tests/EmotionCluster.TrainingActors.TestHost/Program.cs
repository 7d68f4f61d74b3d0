using EmotionCluster.Hosting;
using EmotionCluster.TrainingActors;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// Usage: emotioncluster-trainer-testhost --EmotionCluster:Node:Port=4053 --EmotionCluster:Training:Manifest=m.json ...
// (any NodeSettings / TrainerOptions key). Prints the trainer's lines on stdout; runs until killed or SIGTERM.
var configuration = new ConfigurationBuilder().AddCommandLine(args).Build();
var node = new NodeSettings { Roles = [ClusterRoles.Trainer] };
TrainerOptions options;
EmotionCluster.Evaluator.PersistenceSettings? journal = null;
try
{
    configuration.GetSection(NodeSettings.Section).Bind(node);
    options = TrainerOptions.From(configuration);
    node.Validate();
    options.Validate();
    // EmotionCluster:Persistence:ConnectionString given: this node is also the evaluator, persisting to that journal
    if (!string.IsNullOrEmpty(configuration[$"{EmotionCluster.Evaluator.PersistenceSettings.Section}:ConnectionString"]))
    {
        journal = EmotionCluster.Evaluator.PersistenceSettings.From(configuration);
        node.Roles = [ClusterRoles.Trainer, ClusterRoles.Evaluator];
    }
}
catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
{
    Console.Error.WriteLine($"bad configuration: {e.Message}");
    return 2;
}

void Output(string line)
{
    lock (Console.Out) Console.WriteLine(line);
}

using var host = await TrainingNode.StartAsync(node, options, Output, journal: journal);
var cluster = Akka.Cluster.Cluster.Get(host.Services.GetRequiredService<Akka.Actor.ActorSystem>());
cluster.RegisterOnMemberUp(() => Output($"member up {cluster.SelfAddress}"));
Output($"node started {cluster.SelfAddress}");
await host.WaitForShutdownAsync();
return 0;
