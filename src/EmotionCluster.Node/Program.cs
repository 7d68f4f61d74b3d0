using Akka.Hosting;
using EmotionCluster.Extraction;
using EmotionCluster.Hosting;
using EmotionCluster.Node;
using Microsoft.Extensions.Options;

NodeArguments cli;
try { cli = NodeArguments.Parse(args); }
catch (ArgumentException e) { Console.Error.WriteLine(e.Message); return 2; }
if (cli.Help) { NodeArguments.WriteHelp(args, Console.Out); return 0; }

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
if (cli.Options.TryGetValue("--config", out string? configFile))
{
    if (!File.Exists(configFile)) { Console.Error.WriteLine($"--config {configFile}: file not found; give the path of a JSON settings file"); return 2; }
    builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false);
}
builder.Configuration.AddEnvironmentVariables();
if (cli.Verb == "extract" && !cli.Config.ContainsKey("EmotionCluster:Http:Port"))
    builder.Configuration.AddInMemoryCollection([new("EmotionCluster:Http:Port", "-1")]); // a one-shot run serves nothing
builder.Configuration.AddInMemoryCollection(cli.Config);
NodeLogging.AddConsole(builder.Logging); // one line per record; Akka's records come through ILogger too (ManagementHosting)

NodeSettings settings;
HttpSettings http;
try
{
    // Each section is registered once, here or in the part that owns it (NodeComposition), and checked before the
    // host is built: a bad value stops the node with the message of its settings class (the key and the fix).
    bool extractRoles = cli.Verb == "extract" && !cli.Config.Keys.Any(k => k.StartsWith("EmotionCluster:Node:Roles", StringComparison.Ordinal));
    settings = builder.Services.AddSettings<NodeSettings>(builder.Configuration, NodeSettings.Section, s =>
    {
        s.Validate();
        if (s.TlsEnabled) RemotingTls.Load(s).Dispose(); // a missing certificate or a wrong password stops the node here, named
    }, adjust: extractRoles ? s => s.Roles = [ClusterRoles.Coordinator] : null);
    http = builder.Services.AddSettings<HttpSettings>(builder.Configuration, HttpSettings.Section, h => h.Validate());
    NodeComposition.AddServices(builder, settings, http);
}
catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
{
    Console.Error.WriteLine($"bad node configuration: {e.Message}");
    return 2;
}

if (http.Enabled) builder.WebHost.UseUrls($"http://{http.Hostname}:{http.Port}");
else builder.Services.AddSingleton<Microsoft.AspNetCore.Hosting.Server.IServer, NoHttpServer>(); // --http-port -1: no listener at all
var store = new DirectoryFeatureStore(settings.FeatureStorePath);
var services = new PipelineServiceFactory(store);
var stats = new ExtractorNodeStats();
builder.Services.AddSingleton<IFeatureStore>(store).AddSingleton(stats);
builder.Services.AddAkka(settings.ActorSystemName, (akka, sp) =>
{
    bool bootstrap = sp.GetRequiredService<DiscoverySettings>().Method == DiscoverySettings.KubernetesMethod; // bootstrap joins; no self-join
    akka.AddEmotionClusterNode(settings, services, stats, joinSelfWithoutSeeds: !bootstrap);
    NodeComposition.ConfigureAkka(akka, sp, settings);
    akka.AddStartup((system, registry) =>
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        NodeLogging.Log(sp).NodeStarted(cluster.SelfAddress.ToString(), string.Join(',', settings.EffectiveRoles), store.Root);
        if (settings.Has(ClusterRoles.Extractor))
            system.ActorOf(RebalanceReporter.PropsFor(registry.Get<ClipExtractorRegion>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger<RebalanceReporter>()), "rebalance-reporter");
    });
});

await using WebApplication app = builder.Build();
ILogger log = NodeLogging.Log(app.Services);
if (cli.Config.ContainsKey("EmotionCluster:Http:Token")) log.TokenOnCommandLine();
if (http.ExposureWarning() is { } exposed) log.Exposed(exposed);
if (http.Enabled) NodeComposition.MapEndpoints(app, http);
try
{
    await app.StartAsync();
}
catch (OptionsValidationException e) // a section checked again at start (ValidateOnStart); Program checked each before, so rare
{
    Console.Error.WriteLine($"bad node configuration: {string.Join("; ", e.Failures)}");
    return 2;
}
if (cli.Verb == "run")
{
    if (http.Enabled) log.HttpListening(string.Join(' ', app.Urls));
    await app.WaitForShutdownAsync();
    log.NodeStopped(stats.Extracted, stats.Cached, stats.Failed);
    return 0;
}

try
{
    return await ExtractCommand.RunAsync(app.Services, cli, settings, store);
}
finally
{
    await app.StopAsync();
}
