using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace EmotionCluster.Deployment.Tests;

/// <summary>
/// A parsed YAML value (mapping, sequence or scalar text), navigated by key or index; a missing key gives a missing
/// node rather than an exception, so checks read as paths: <c>pod["spec"]["containers"][0]["name"].Text</c>.
/// </summary>
public readonly record struct YamlNode(object? Value)
{
    public YamlNode this[string key] =>
        Value is IDictionary<object, object?> map && map.TryGetValue(key, out object? v) ? new YamlNode(v) : default;

    public YamlNode this[int index] =>
        Value is IList<object?> list && index < list.Count ? new YamlNode(list[index]) : default;

    public bool IsMissing => Value is null;
    public string? Text => Value as string;

    public IEnumerable<YamlNode> Items => Value is IList<object?> list ? list.Select(v => new YamlNode(v)) : [];

    public IEnumerable<KeyValuePair<string, YamlNode>> Entries => Value is IDictionary<object, object?> map
        ? map.Select(kv => KeyValuePair.Create((string)kv.Key, new YamlNode(kv.Value)))
        : [];

    /// <summary>A mapping of scalars (labels, selectors, environment) as a dictionary.</summary>
    public IReadOnlyDictionary<string, string> StringMap =>
        Entries.ToDictionary(kv => kv.Key, kv => kv.Value.Text ?? "");

    public int Int => int.Parse(Text ?? throw new InvalidOperationException("not a scalar"), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Every document of a YAML stream (kubectl kustomize output), with merge keys (&lt;&lt;) resolved.</summary>
    public static List<YamlNode> ParseAll(string yaml)
    {
        var deserializer = new DeserializerBuilder().Build();
        var parser = new MergingParser(new Parser(new StringReader(yaml)));
        parser.Consume<StreamStart>();
        var docs = new List<YamlNode>();
        while (parser.Accept<DocumentStart>(out _))
        {
            object? doc = deserializer.Deserialize(parser);
            if (doc is not null) docs.Add(new YamlNode(doc));
        }
        return docs;
    }

    public static YamlNode Parse(string yaml) => ParseAll(yaml).Single();
}
