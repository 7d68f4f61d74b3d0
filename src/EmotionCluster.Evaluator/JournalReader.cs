using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EmotionCluster.Evaluator;

/// <summary>
/// A local ActorSystem with the journal configured and nothing else (no remoting, no cluster), for reading runs
/// from tools: the CLI's <c>runs</c> commands and tests. Checks the database first, so a wrong setting fails with a
/// message naming it instead of a journal error later.
/// </summary>
public sealed class JournalReader : IAsyncDisposable
{
    private readonly IHost _host;

    private JournalReader(IHost host, PersistenceSettings settings)
    {
        _host = host;
        Settings = settings;
        System = host.Services.GetRequiredService<ActorSystem>();
        Catalog = new RunCatalog(System);
    }

    public PersistenceSettings Settings { get; }
    public ActorSystem System { get; }
    public RunCatalog Catalog { get; }

    /// <param name="mustExist">SQLite: refuse to create a new, empty file (a mistyped path) — throw instead.</param>
    public static async Task<JournalReader> OpenAsync(PersistenceSettings settings, bool mustExist = true, CancellationToken cancellationToken = default)
    {
        settings.Validate();
        if (mustExist && settings.SqliteFile is { } file && !File.Exists(file))
            throw new JournalUnavailableException(
                $"no journal at {file} ({PersistenceSettings.Section}:ConnectionString '{settings.ConnectionString}'); " +
                "pass --db 'Data Source=path/to/emotioncluster.db' or --provider postgresql --db 'Host=…'");
        await JournalConnectivity.CheckAsync(settings, cancellationToken: cancellationToken);

        var builder = EmotionCluster.Hosting.InProcessHostLifetime.CreateBuilder();
        builder.Services.AddAkka("emotioncluster-journal-reader", (akka, _) =>
        {
            akka.AddHocon("akka.loglevel = OFF\nakka.stdout-loglevel = OFF\nakka.coordinated-shutdown.run-by-clr-shutdown-hook = off", HoconAddMode.Prepend);
            akka.AddEmotionClusterPersistence(settings);
        });
        IHost host = builder.Build();
        await host.StartAsync(cancellationToken);
        return new JournalReader(host, settings);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
