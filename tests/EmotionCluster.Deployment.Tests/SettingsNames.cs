using System.Collections;
using System.Reflection;
using EmotionCluster.Hosting;
using Microsoft.Extensions.Configuration;

namespace EmotionCluster.Deployment.Tests;

/// <summary>
/// What an environment variable of a deployment file may be called: <c>EmotionCluster__{Section}__{Property}</c>,
/// plus <c>__{index}</c> for list properties, where Section and Property are those of a settings class of the node's
/// libraries (a class with a <c>Section</c> constant such as <c>"EmotionCluster:Node"</c>), found by reflection.
/// </summary>
public static class SettingsNames
{
    public const string Prefix = "EmotionCluster__";

    /// <summary>The assemblies whose settings the node binds: cluster, persistence, trainer, streaming.</summary>
    private static readonly Assembly[] SettingsAssemblies =
    [
        typeof(NodeSettings).Assembly,
        typeof(EmotionCluster.Evaluator.PersistenceSettings).Assembly,
        typeof(EmotionCluster.TrainingActors.TrainerOptions).Assembly,
        typeof(EmotionCluster.Streaming.StreamingSettings).Assembly,
    ];

    /// <summary>Section name (after "EmotionCluster:") → settings class.</summary>
    public static IReadOnlyDictionary<string, Type> Sections { get; } = SettingsAssemblies.SelectMany(a => a.GetTypes())
        .Select(t => (Type: t, Section: t.GetField("Section", BindingFlags.Public | BindingFlags.Static)?.GetRawConstantValue() as string))
        .Where(x => x.Section?.StartsWith("EmotionCluster:", StringComparison.Ordinal) == true)
        .ToDictionary(x => x.Section!["EmotionCluster:".Length..], x => x.Type);

    /// <summary>Null when <paramref name="name"/> (starting with EmotionCluster__) names a setting; else why not.</summary>
    public static string? Problem(string name)
    {
        if (!name.StartsWith(Prefix, StringComparison.Ordinal)) return $"{name}: does not start with {Prefix}";
        string[] parts = name[Prefix.Length..].Split("__");
        if (parts.Length < 2) return $"{name}: expected {Prefix}Section__Property";
        if (!Sections.TryGetValue(parts[0], out Type? type))
            return $"{name}: no settings class has section EmotionCluster:{parts[0]} (known: {string.Join(", ", Sections.Keys)})";
        PropertyInfo? property = type.GetProperty(parts[1], BindingFlags.Public | BindingFlags.Instance);
        if (property is null || !property.CanWrite)
            return $"{name}: {type.Name} has no settable property '{parts[1]}' " +
                   $"(has: {string.Join(", ", type.GetProperties().Where(p => p.CanWrite).Select(p => p.Name))})";
        bool isList = property.PropertyType != typeof(string) && typeof(IEnumerable).IsAssignableFrom(property.PropertyType);
        return parts.Length switch
        {
            2 when isList => $"{name}: {type.Name}.{parts[1]} is a list; name its items {name}__0, {name}__1, ...",
            2 => null,
            3 when isList && int.TryParse(parts[2], out int i) && i >= 0 && parts[2] == i.ToString() => null,
            3 when isList => $"{name}: list index '{parts[2]}' is not a whole number",
            _ => $"{name}: {type.Name}.{parts[1]} is not a list; nothing may follow it",
        };
    }

    /// <summary>The problems of every EmotionCluster__ name among <paramref name="names"/>, prefixed with where they come from.</summary>
    public static List<string> Problems(IEnumerable<string> names, string where) =>
        names.Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).Select(Problem).OfType<string>()
            .Select(p => $"{where}: {p}").ToList();

    /// <summary>The settings a process with this environment binds, as Program.cs binds them (section by section).</summary>
    public static BoundSettings Bind(IReadOnlyDictionary<string, string> environment)
    {
        IConfiguration config = new ConfigurationBuilder()
            .AddInMemoryCollection(environment.Select(kv => KeyValuePair.Create(kv.Key.Replace("__", ":"), (string?)kv.Value)))
            .Build();
        var node = new NodeSettings();
        config.GetSection(NodeSettings.Section).Bind(node);
        var http = new HttpSettings();
        config.GetSection(HttpSettings.Section).Bind(http);
        var discovery = new DiscoverySettings();
        config.GetSection(DiscoverySettings.Section).Bind(discovery);
        return new BoundSettings(node, http, discovery);
    }
}

public sealed record BoundSettings(NodeSettings Node, HttpSettings Http, DiscoverySettings Discovery);
