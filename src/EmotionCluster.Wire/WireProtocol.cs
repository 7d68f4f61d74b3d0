using System.Collections.Frozen;
using System.Reflection;
using Akka.Actor;

namespace EmotionCluster.Wire;

/// <summary>
/// The closed table of one bounded context's wire format: which marker interfaces it serves, and for each message type
/// its versioned manifest (<c>Name.N</c>), writer and reader, plus the readers kept for manifests that earlier versions
/// wrote (journals, outbox files, nodes not yet upgraded). Built once by <see cref="Define"/> in a static field and
/// immutable after: nothing registers at run time. A manifest is never reused or renamed: a changed layout gets the
/// next version and the old reader stays (<see cref="Builder.Reads"/>).
/// </summary>
public sealed class WireProtocol
{
    private readonly FrozenDictionary<Type, (string Manifest, Action<BinaryWriter, object> Write)> _writers;
    private readonly FrozenDictionary<string, Func<BinaryReader, ExtendedActorSystem?, object>> _readers;

    private WireProtocol(Builder b)
    {
        Name = b.Name;
        SerializerId = b.SerializerId;
        MarkerInterfaces = b.Markers;
        CreateSerializer = b.Factory ?? throw new InvalidOperationException($"wire protocol '{b.Name}' has no serializer (call Serializer)");
        _writers = b.Writers.ToFrozenDictionary();
        _readers = b.Readers.ToFrozenDictionary();
        LegacyManifests = b.Legacy.ToFrozenSet();
    }

    /// <summary>The context's short name, in error messages ("cluster", "evaluator", …).</summary>
    public string Name { get; }

    /// <summary>The serializer's name in Akka's configuration: <c>emotioncluster-{Name}</c>.</summary>
    public string SerializerName => $"emotioncluster-{Name}";

    /// <summary>The Akka serializer identifier: part of every remote frame and journal row; never change it.</summary>
    public int SerializerId { get; }

    /// <summary>The interfaces whose implementations Akka routes to this protocol's serializer.</summary>
    public IReadOnlyList<Type> MarkerInterfaces { get; }

    /// <summary>Makes the Akka serializer of this protocol (used by <see cref="WireHosting.WithWireSerializer"/>).</summary>
    public Func<ExtendedActorSystem, WireSerializer> CreateSerializer { get; }

    /// <summary>The message types this protocol writes.</summary>
    public IReadOnlyCollection<Type> MessageTypes => _writers.Keys;

    /// <summary>Every manifest this protocol reads: the current ones and <see cref="LegacyManifests"/>.</summary>
    public IReadOnlyCollection<string> Manifests => _readers.Keys;

    /// <summary>Manifests only read (written by earlier versions), never written.</summary>
    public IReadOnlySet<string> LegacyManifests { get; }

    /// <summary>The manifest <paramref name="type"/> is written under; null when the type is not in the table.</summary>
    public string? ManifestOf(Type type) => _writers.TryGetValue(type, out var entry) ? entry.Manifest : null;

    /// <summary>
    /// The concrete types in <paramref name="assemblies"/> that implement one of <see cref="MarkerInterfaces"/> but are not
    /// in the table: Akka would route each to this serializer, which would refuse it.
    /// </summary>
    public IReadOnlyList<Type> TypesMissingFrom(params Assembly[] assemblies) =>
        assemblies.Distinct().SelectMany(a => a.GetTypes())
            .Where(t => t is { IsAbstract: false, IsInterface: false } && MarkerInterfaces.Any(m => m.IsAssignableFrom(t)) && !_writers.ContainsKey(t))
            .ToList();

    internal bool TryGetWriter(Type type, out (string Manifest, Action<BinaryWriter, object> Write) entry) => _writers.TryGetValue(type, out entry);

    internal bool TryGetReader(string manifest, out Func<BinaryReader, ExtendedActorSystem?, object> read) => _readers.TryGetValue(manifest, out read!);

    /// <summary>Starts the table of a bounded context.</summary>
    public static Builder Define(string name, int serializerId, params Type[] markerInterfaces) => new(name, serializerId, markerInterfaces);

    /// <summary>Collects the entries of one table; <see cref="Build"/> checks it is consistent and freezes it.</summary>
    public sealed class Builder
    {
        internal Builder(string name, int serializerId, Type[] markers)
        {
            if (markers.Length == 0 || markers.Any(m => !m.IsInterface))
                throw new ArgumentException($"wire protocol '{name}' needs marker interfaces", nameof(markers));
            Name = name;
            SerializerId = serializerId;
            Markers = markers;
        }

        internal string Name { get; }
        internal int SerializerId { get; }
        internal Type[] Markers { get; }
        internal Func<ExtendedActorSystem, WireSerializer>? Factory { get; private set; }
        internal Dictionary<Type, (string, Action<BinaryWriter, object>)> Writers { get; } = new();
        internal Dictionary<string, Func<BinaryReader, ExtendedActorSystem?, object>> Readers { get; } = new();
        internal HashSet<string> Legacy { get; } = [];

        /// <summary>The serializer class Akka instantiates for this protocol (a subclass of <see cref="WireSerializer"/>).</summary>
        public Builder Serializer(Func<ExtendedActorSystem, WireSerializer> create)
        {
            Factory = create;
            return this;
        }

        /// <summary><typeparamref name="T"/> is written as manifest <c>{name}.{version}</c> by <paramref name="write"/> and read back by <paramref name="read"/>.</summary>
        public Builder Message<T>(string name, int version, Action<BinaryWriter, T> write, Func<BinaryReader, T> read) where T : notnull =>
            Message(name, version, write, (r, _) => read(r));

        /// <summary>As <see cref="Message{T}(string,int,Action{BinaryWriter,T},Func{BinaryReader,T})"/>, for a reader that needs the actor system (actor refs).</summary>
        public Builder Message<T>(string name, int version, Action<BinaryWriter, T> write, Func<BinaryReader, ExtendedActorSystem?, T> read) where T : notnull
        {
            if (!Markers.Any(m => m.IsAssignableFrom(typeof(T))))
                throw new ArgumentException($"{typeof(T).Name} implements none of the marker interfaces of wire protocol '{Name}', so Akka would never route it here");
            if (version < 1) throw new ArgumentOutOfRangeException(nameof(version), version, "versions start at 1");
            string manifest = $"{name}.{version}";
            if (!Writers.TryAdd(typeof(T), (manifest, (w, o) => write(w, (T)o))))
                throw new InvalidOperationException($"wire protocol '{Name}': {typeof(T).Name} is in the table twice");
            AddReader(manifest, (r, s) => read(r, s));
            return this;
        }

        /// <summary>A manifest an earlier version wrote (any spelling), still read, never written.</summary>
        public Builder Reads(string manifest, Func<BinaryReader, object> read) => Reads(manifest, (r, _) => read(r));

        /// <summary>As <see cref="Reads(string,Func{BinaryReader,object})"/>, for a reader that needs the actor system.</summary>
        public Builder Reads(string manifest, Func<BinaryReader, ExtendedActorSystem?, object> read)
        {
            AddReader(manifest, read);
            Legacy.Add(manifest);
            return this;
        }

        private void AddReader(string manifest, Func<BinaryReader, ExtendedActorSystem?, object> read)
        {
            if (!Readers.TryAdd(manifest, read)) throw new InvalidOperationException($"wire protocol '{Name}': manifest '{manifest}' is in the table twice");
        }

        public WireProtocol Build() => new(this);
    }
}
