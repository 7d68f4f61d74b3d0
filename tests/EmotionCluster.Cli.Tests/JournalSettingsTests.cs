using EmotionCluster.Evaluator;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace EmotionCluster.Cli.Tests;

/// <summary>
/// The journal of <c>runs</c> and <c>report --run-id</c> (<see cref="RunsCommands.Settings(string?, string?, IConfiguration)"/>):
/// the flags, else the environment's <c>EmotionCluster:Persistence</c> section bound by <see cref="PersistenceSettings.From"/>
/// (as a node binds it), else the default; a bad value is refused naming the key and the fix.
/// </summary>
public sealed class JournalSettingsTests
{
    private static readonly IConfiguration Postgres = InMemoryEnvironment.Of(
        ("EmotionCluster:Persistence:Provider", "postgresql"), ("EmotionCluster:Persistence:ConnectionString", "Host=db.example;Database=runs;Username=ec"));

    [Fact]
    public void The_environment_section_is_the_journal_when_no_flag_is_given()
    {
        PersistenceSettings settings = RunsCommands.Settings(null, null, Postgres);
        Assert.Equal(("postgresql", "Host=db.example;Database=runs;Username=ec"), (settings.Provider, settings.ConnectionString));
    }

    [Fact]
    public void Flags_override_the_environment()
    {
        PersistenceSettings settings = RunsCommands.Settings("sqlite", "Data Source=/tmp/ec-flags.db", Postgres);
        Assert.Equal(("sqlite", "Data Source=/tmp/ec-flags.db"), (settings.Provider, settings.ConnectionString));
    }

    [Fact]
    public void Without_flags_or_environment_it_is_sqlite_at_the_default_place()
    {
        PersistenceSettings settings = RunsCommands.Settings(null, null, InMemoryEnvironment.Of());
        string expected = File.Exists(RunsCommands.MainJobJournal) ? $"Data Source={RunsCommands.MainJobJournal}" : PersistenceSettings.DefaultConnectionString;
        Assert.Equal((PersistenceSettings.Sqlite, expected), (settings.Provider, settings.ConnectionString));
    }

    [Fact]
    public void A_bad_provider_in_the_environment_is_refused_naming_the_key_and_the_fix()
    {
        var e = Assert.Throws<ArgumentException>(() => RunsCommands.Settings(null, null, InMemoryEnvironment.Of(("EmotionCluster:Persistence:Provider", "oracle"))));
        Assert.Equal("EmotionCluster:Persistence:Provider 'oracle' is not supported; use 'sqlite' or 'postgresql' " +
                     "(EmotionCluster__Persistence__Provider or --provider)", e.Message);
    }
}
