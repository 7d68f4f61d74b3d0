using Microsoft.Extensions.Configuration;

namespace EmotionCluster.Cli.Tests;

/// <summary>An environment for the settings specs: the keys as configuration reads <c>EmotionCluster__X__Y</c> variables.</summary>
public static class InMemoryEnvironment
{
    public static IConfiguration Of(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();
}
