using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using EmotionCluster.Corpora;
using EmotionCluster.Experiments;
using EmotionCluster.Extraction;
using EmotionCluster.Hosting;
using EmotionCluster.Metrics;
using EmotionCluster.Model;
using EmotionCluster.Reporting;
using EmotionCluster.Streaming;
using EmotionCluster.TrainingActors;
using Microsoft.Extensions.Configuration;

namespace EmotionCluster.Cli;

/// <summary>
/// <c>run</c> (the main job), <c>train</c>, <c>crossval</c>, <c>evaluate</c>, <c>predict</c> and <c>report</c>.
/// Features come from the sharded extraction of an embedded single-node cluster (or a plain loop with
/// <c>--extraction local</c>); every output lands in the run directory (<c>--out</c>).
/// </summary>
public static class TrainingCommands
{
    /// <summary>The setting behind <c>--trainers</c>'s default (environment <c>EmotionCluster__Training__Trainers</c>).</summary>
    public const string TrainersVariable = "EmotionCluster__Training__Trainers";

    /// <summary><c>EmotionCluster:Training:Trainers</c> from the environment, bound as a trainer node binds it (<see cref="TrainerOptions.From"/>).</summary>
    public static int DefaultTrainers(IConfiguration environment)
    {
        int n;
        try
        {
            n = TrainerOptions.From(environment).Trainers;
        }
        catch (InvalidOperationException e) // not a number
        {
            throw new CliException($"{TrainersVariable}: {e.Message} Use a whole number of trainer nodes, 1 or more.");
        }
        catch (ArgumentException e) // a key of the section that is not a setting, named with the fix
        {
            throw new CliException(e.Message);
        }
        return n >= 1 ? n : throw new CliException($"{TrainersVariable}={n}: use a whole number of trainer nodes, 1 or more");
    }

    private sealed class Common
    {
        public readonly Option<string[]> Data = new("--data")
        {
            Description = CorpusCommandOptions.DataDescription + " Repeat it to train on several corpora at once (their union, speakers kept apart per corpus).",
            Required = true,
        };
        public readonly CorpusCommandOptions Corpus = new();
        public readonly Option<string> Out = new("--out") { Description = "Run directory for the model, metrics, charts and report (required: nothing is written to the current folder unasked).", Required = true };
        public readonly Option<string?> Config = new("--config") { Description = "Experiment settings JSON (features, input, augmentation, cnn, training); flags override it." };
        public readonly Option<int?> Epochs = new("--epochs") { Description = "Maximum epochs (default 50)." };
        public readonly Option<int?> BatchSize = new("--batch-size") { Description = "Batch size (default 16)." };
        public readonly Option<double?> LearningRate = new("--lr") { Description = "Base learning rate (default 0.001)." };
        public readonly Option<int?> Patience = new("--patience") { Description = "Early stopping: epochs without a better validation UAR (default 20; 0 = off)." };
        public readonly Option<int?> Seed = new("--seed") { Description = "Seed for splits, initialization, shuffling and augmentation (default 42)." };
        public readonly Option<int?> Threads = new("--threads") { Description = "Torch intra-op threads (default 2)." };
        public readonly Option<string?> Device = new("--device") { Description = "cpu (default), cuda or cuda:N." };
        public readonly Option<string?> Features = new("--features") { Description = "logmel (default) or mfcc." };
        public readonly Option<string?> Emotions = new("--emotions") { Description = "Comma-separated emotions to keep, e.g. anger,disgust,fear,happiness,sadness (AESDD's five). Default: all." };
        public readonly Option<int?> Limit = new("--limit") { Description = "Use at most N clips per emotion (quick runs)." };
        public readonly Option<bool> NoAugment = new("--no-augment") { Description = "Turn training augmentation off." };
        public readonly Option<string> Extraction = new("--extraction") { Description = "cluster (sharded extraction on an embedded node, default) or local (plain loop).", DefaultValueFactory = _ => "cluster" };
        public readonly Option<string> Store = new("--store")
        {
            Description = "Feature store directory, shared by runs with the same feature settings (default: $XDG_CACHE_HOME/emotioncluster/features, ~/.cache/…).",
            DefaultValueFactory = _ => UserPaths.Cache("features"),
        };
        public readonly Option<string?> Encoder = new("--encoder")
        {
            Description = "Pretrained audio encoder (an ONNX file: YAMNet, PANNs, wav2vec2, emotion2vec…) run frozen in extraction; the CNN trains on its embeddings " +
                          "(docs/onnx.md#pretrained-encoders). The model records its SHA-256: predict and evaluate need the same file.",
        };
        public readonly Option<string> EncoderInput = new("--encoder-input") { Description = "What the encoder takes: waveform (default) or logmel (our log-mel spectrogram, Features.Mel).", DefaultValueFactory = _ => "waveform" };
        public readonly Option<int?> EncoderRate = new("--encoder-rate") { Description = "The encoder's sample rate in Hz (default 16000); audio is resampled to it." };
        public readonly Option<string?> EncoderOutput = new("--encoder-output") { Description = "The graph output holding the embeddings (default: the graph's only output); its last axis is the embedding." };
        public readonly Option<bool> EncoderTimeMajor = new("--encoder-time-major") { Description = "With --encoder-input logmel: the encoder takes [.., frames, mels] (default [.., mels, frames])." };
        public readonly Option<int?> Frames = new("--frames") { Description = "Input frames per example (default 300 log-mel frames, 3 s; with --encoder 3 s of its embeddings)." };
        public readonly Option<string[]> Join = new("--join")
        {
            Description = "Join the cluster of this seed node (akka.tcp://emotioncluster@HOST:PORT, repeatable) instead of a cluster of one: " +
                          "with trainer nodes Up there, crossval spreads its folds over them (each reads the features from its --store).",
        };

        public readonly Option<int> Trainers = new("--trainers")
        {
            Description = "Train each run data-parallel across N trainer nodes of the cluster joined with --join (each reads the features " +
                          "from its --store); 1 (default): on this command's node, a cross-validation's folds spread over the trainer nodes. " +
                          $"Default from {TrainersVariable}.",
            DefaultValueFactory = _ => DefaultTrainers(RunsCommands.EnvironmentConfiguration()),
        };

        public void AddTo(Command c)
        {
            foreach (Option o in new Option[] { Data, Out, Config, Epochs, BatchSize, LearningRate, Patience, Seed, Threads, Device, Features, Emotions, Limit, NoAugment, Extraction, Store,
                         Encoder, EncoderInput, EncoderRate, EncoderOutput, EncoderTimeMajor, Frames, Join, Trainers })
                c.Options.Add(o);
            Corpus.AddTo(c);
        }

        /// <summary>The corpus or corpora of <c>--data</c>, read as the corpus options say.</summary>
        public CorpusSource Source(ParseResult r) => new(r.GetValue(Data)!, Corpus.ToOptions(r));

        public ExperimentSettings Settings(ParseResult r)
        {
            string? config = r.GetValue(Config);
            ExperimentSettings s;
            try { s = config is null ? new ExperimentSettings() : ExperimentSettings.Load(config); }
            catch (ArgumentException e) { throw new CliException(e.Message); }
            var t = s.Training;
            t = t with
            {
                Epochs = r.GetValue(Epochs) ?? t.Epochs,
                BatchSize = r.GetValue(BatchSize) ?? t.BatchSize,
                LearningRate = r.GetValue(LearningRate) ?? t.LearningRate,
                EarlyStoppingPatience = r.GetValue(Patience) ?? t.EarlyStoppingPatience,
                Seed = r.GetValue(Seed) ?? t.Seed,
                Threads = r.GetValue(Threads) ?? t.Threads,
                Device = r.GetValue(Device) ?? t.Device,
            };
            s = s with { Training = t };
            if (r.GetValue(Features) is { } kind)
                s = s with
                {
                    Features = s.Features with
                    {
                        Kind = kind.ToLowerInvariant() switch
                        {
                            "logmel" or "log-mel" or "mel" => FeatureKind.LogMel,
                            "mfcc" => FeatureKind.Mfcc,
                            _ => throw new CliException($"--features {kind}: use logmel or mfcc"),
                        },
                    },
                };
            if (r.GetValue(Emotions) is { } emotions)
                s = s with { Emotions = emotions.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) };
            if (r.GetValue(NoAugment)) s = s with { Augmentation = s.Augmentation with { Enabled = false } };
            if (r.GetValue(Encoder) is { } encoderPath)
            {
                var inputKind = r.GetValue(EncoderInput)!.ToLowerInvariant() switch
                {
                    "waveform" or "wave" or "wav" => EmotionCluster.Extraction.EncoderInput.Waveform,
                    "logmel" or "log-mel" or "mel" => EmotionCluster.Extraction.EncoderInput.LogMel,
                    var other => throw new CliException($"--encoder-input {other}: use waveform or logmel"),
                };
                if (s.Features.Kind == FeatureKind.Mfcc) throw new CliException("--features mfcc with --encoder: the encoder's embeddings are the features; leave --features out");
                EncoderSettings encoder;
                try { encoder = OnnxEncoder.Resolve(encoderPath, inputKind, r.GetValue(EncoderRate) ?? 16_000, r.GetValue(EncoderOutput), r.GetValue(EncoderTimeMajor), s.Features.Mel); }
                catch (EncoderException e) { throw new CliException(e.Message); }
                s = EncoderRecipe.With(s, encoder);
            }
            else if (r.GetValue(EncoderOutput) is not null || r.GetValue(EncoderRate) is not null || r.GetValue(EncoderTimeMajor))
                throw new CliException("--encoder-output, --encoder-rate and --encoder-time-major describe an encoder: give it with --encoder FILE");
            if (r.GetValue(Frames) is { } frames) s = s with { Input = s.Input with { Frames = frames } };
            try { s.Validate(); }
            catch (ArgumentException e) { throw new CliException($"settings: {e.Message}"); }
            return s;
        }
    }

    public static Command CreateRun()
    {
        var common = new Common();
        var noCv = new Option<bool>("--no-crossval") { Description = "Skip leave-one-speaker-out (the 70/20/10 split only)." };
        var noMfcc = new Option<bool>("--no-mfcc") { Description = "Skip the MFCC comparison run." };
        var command = new Command("run", "The main job: dataset statistics, features, training on the 70/20/10 split, leave-one-speaker-out, MFCC comparison and the report.");
        common.AddTo(command);
        command.Options.Add(noCv);
        command.Options.Add(noMfcc);
        command.SetAction((r, ct) => RunAsync(r, output => Execute(r, common, output, ct, async (w, prepared) =>
        {
            using (var split = w.TrainSplit(prepared, saveModel: true, ct)) { }
            if (!r.GetValue(noCv))
            {
                int unknownSpeaker = prepared.Features.Clips.Count(c => c.Speaker == ClipInfo.UnknownSpeaker);
                if (unknownSpeaker > 0)
                    output.WriteLine($"leave-one-speaker-out skipped: {unknownSpeaker} clips have no known speaker (give --speaker-pattern, " +
                                     "or a manifest with a speaker column); the 70/20/10 results above stand");
                else w.CrossValidate(prepared, save: true, ct);
            }
            if (w.Runner.Settings.Features.Encoder is not null) output.WriteLine("MFCC comparison skipped: the features are the encoder's embeddings");
            else if (!r.GetValue(noMfcc)) await MfccComparisonAsync(r, common, w, prepared, output, ct);
        })));
        return command;
    }

    public static Command CreateTrain()
    {
        var common = new Common();
        var command = new Command("train", "Train the CNN on the stratified 70/20/10 split; saves model.ecm, metrics, charts and report parts in --out.");
        common.AddTo(command);
        command.SetAction((r, ct) => RunAsync(r, output => Execute(r, common, output, ct, (w, prepared) =>
        {
            using var split = w.TrainSplit(prepared, saveModel: true, ct);
            return Task.CompletedTask;
        })));
        return command;
    }

    public static Command CreateCrossval()
    {
        var common = new Common();
        var speakers = new Option<string?>("--speakers") { Description = "Run only the folds holding out these speakers (comma-separated), e.g. 03,10." };
        var folds = new Option<int?>("--folds")
        {
            Description = "K speaker-grouped folds instead of one fold per speaker (corpora with many speakers, e.g. CREMA-D's 91): each fold holds out a group of speakers.",
        };
        var robustness = new Option<string?>("--robustness")
        {
            Description = "Also score each fold's held-out clips lone-clip under recording conditions (noise at 20 and 10 dB SNR: white, pink, babble; " +
                          "telephone; gain -20 dB; clipping; reverb; MP3 via sox; another microphone, ±6 dB above 1 kHz): crossval_robustness.json and a table in the report. " +
                          "Alone: every condition; or a comma-separated list, e.g. white-20db,telephone,mp3-32k.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var command = new Command("crossval", "Speaker-independent cross-validation (leave-one-speaker-out, or --folds K speaker groups): every protocol's mean ± std " +
                                              "over folds and the pooled confusion matrix; each fold's model is kept in OUT/folds/FOLD/model.ecm.");
        common.AddTo(command);
        command.Options.Add(speakers);
        command.Options.Add(folds);
        command.Options.Add(robustness);
        command.SetAction((r, ct) => RunAsync(r, output =>
        {
            var conditions = Conditions(r, robustness); // a bad condition or a missing sox fails before any extraction or training
            return Execute(r, common, output, ct, (w, prepared) =>
            {
                w.CrossValidate(prepared, save: true, ct,
                    r.GetValue(speakers)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), r.GetValue(folds), conditions);
                return Task.CompletedTask;
            });
        }));
        return command;
    }

    /// <summary>
    /// <c>robustness</c>: the robustness protocol on a cross-validation run's kept fold models, without training
    /// (<see cref="RobustnessProtocol.ScoreRun"/>); writes <c>crossval_robustness.json</c> and the report's table.
    /// </summary>
    public static Command CreateRobustness()
    {
        var runDir = new Option<string>("--run") { Description = "Run directory of a crossval whose fold models were kept (RUN/folds/FOLD/model.ecm).", Required = true };
        var data = new Option<string>("--data") { Description = CorpusCommandOptions.DataDescription + " The corpus the run was made from.", Required = true };
        var corpusOptions = new CorpusCommandOptions();
        var conditions = new Option<string?>("--conditions")
        {
            Description = "Comma-separated recording conditions, e.g. white-20db,telephone,mp3-32k (clean is always scored); default: every condition.",
        };
        var command = new Command("robustness", "Score a crossval run's kept fold models lone-clip under recording conditions (noise, telephone, gain, clipping, " +
                                                "reverb, MP3, another microphone): crossval_robustness.json and the report's table, no training.") { runDir, data, conditions };
        corpusOptions.AddTo(command);
        command.SetAction(r => CliErrors.Run(r, output =>
        {
            var chosen = Conditions(r, conditions) ?? RequireCodec(EmotionCluster.Audio.PerturbationCondition.Standard, conditions.Name);
            string dir = r.GetValue(runDir)!;
            if (!Directory.Exists(dir)) throw new CliException($"--run {dir}: no such run directory; run 'emotioncluster crossval --data DIR --out {dir}' first");
            var clips = CorpusLoader.Load(r.GetValue(data)!, corpusOptions.ToOptions(r)).Clips;
            IReadOnlyList<RobustnessMean> rows;
            try { rows = RobustnessProtocol.ScoreRun(dir, clips, chosen, output.WriteLine); }
            catch (InvalidDataException e) { throw new CliException(e.Message); }
            var run = new RunDirectory(dir);
            run.WriteText(RobustnessProtocol.FileName, RobustnessProtocol.ToJson(rows));
            output.WriteLine("lone clip under recording conditions (mean UAR ± std over folds, drop from clean):");
            foreach (var c in rows)
                output.WriteLine($"  {c.Condition}: {c.MeanUar:0.000} ± {c.StdUar:0.000}, drop {c.DropFromClean:+0.000;-0.000;0.000} ({c.Folds} folds)");
            output.WriteLine($"wrote {run.File(RobustnessProtocol.FileName)}");
            if (run.Load<CrossValidationSection>("crossvalidation") is { } section)
            {
                run.Save("crossvalidation", section with { Robustness = ReportParts.Robustness(rows) });
                output.WriteLine($"report: {Workflow.WriteReport(run)}");
            }
            return CliErrors.Ok;
        }));
        return command;
    }

    /// <summary>
    /// <c>streamed</c>: the streamed protocol on a cross-validation run's kept fold models, without training
    /// (<see cref="StreamedProtocol.ScoreRun"/>); writes <c>crossval_streamed.json</c>, puts the two streamed figures in
    /// <c>crossval_protocols.json</c> and rewrites the report.
    /// </summary>
    public static Command CreateStreamed()
    {
        var runDir = new Option<string>("--run") { Description = "Run directory of a crossval whose fold models were kept (RUN/folds/FOLD/model.ecm).", Required = true };
        var data = new Option<string>("--data") { Description = CorpusCommandOptions.DataDescription + " The corpus the run was made from.", Required = true };
        var corpusOptions = new CorpusCommandOptions();
        var defaults = new StreamingSettings();
        var window = new Option<double?>("--window") { Description = "Seconds of audio per prediction (a node's EmotionCluster:Streaming:WindowSeconds); default: the model's input length, as a node without the setting." };
        var hop = new Option<double>("--hop") { Description = $"A prediction every this many seconds (EmotionCluster:Streaming:HopSeconds; default {defaults.HopSeconds}).", DefaultValueFactory = _ => defaults.HopSeconds };
        var gateEachWindow = new Option<bool>("--gate-each-window") { Description = "Noise-gate each window on its own, as predict gates a file (a node's EmotionCluster:Streaming:GateEachWindow); default: the stream is gated once as it arrives." };
        var command = new Command("streamed", "Score a crossval run's kept fold models under the streamed protocol (each clip sent through the live " +
                                              "stream's path with a node's window, hop and smoothing): crossval_streamed.json and the report's protocol table, no training.")
            { runDir, data, window, hop, gateEachWindow };
        corpusOptions.AddTo(command);
        command.SetAction(r => CliErrors.Run(r, output =>
        {
            string dir = r.GetValue(runDir)!;
            if (!Directory.Exists(dir)) throw new CliException($"--run {dir}: no such run directory; run 'emotioncluster crossval --data DIR --out {dir}' first");
            var clips = CorpusLoader.Load(r.GetValue(data)!, corpusOptions.ToOptions(r)).Clips;
            StreamedRun streamed;
            var settings = new StreamingSettings { WindowSeconds = r.GetValue(window), HopSeconds = r.GetValue(hop), GateEachWindow = r.GetValue(gateEachWindow) };
            try { settings.Validate(); }
            catch (ArgumentException e) { throw new CliException($"--window/--hop: {e.Message}"); }
            try { streamed = StreamedProtocol.ScoreRun(dir, clips, settings, output.WriteLine); }
            catch (InvalidDataException e) { throw new CliException(e.Message); }
            var run = new RunDirectory(dir);
            run.WriteText(StreamedRun.FileName, streamed.ToJson());
            foreach (var m in streamed.ProtocolMeans) output.WriteLine($"  {m.Protocol}: mean UAR {m.MeanUar:0.000} ± {m.StdUar:0.000} ({m.Folds} folds)");
            output.WriteLine($"wrote {run.File(StreamedRun.FileName)}");
            var means = File.Exists(run.File(ProtocolMean.FileName)) ? ProtocolMean.FromJson(File.ReadAllText(run.File(ProtocolMean.FileName))) : [];
            var merged = streamed.MergeInto(means);
            run.WriteText(ProtocolMean.FileName, ProtocolMean.ToJson(merged));
            if (run.Load<CrossValidationSection>("crossvalidation") is { } section)
            {
                run.Save("crossvalidation", section with { Protocols = ReportParts.ProtocolRows(merged) });
                output.WriteLine($"report: {Workflow.WriteReport(run)}");
            }
            return CliErrors.Ok;
        }));
        return command;
    }

    /// <summary>
    /// The recording conditions of <c>--robustness</c>: null when it is absent, every standard condition (clean first)
    /// when it has no value, else clean and the listed ones; the MP3 condition needs sox, checked before any training.
    /// </summary>
    private static IReadOnlyList<EmotionCluster.Audio.PerturbationCondition>? Conditions(ParseResult r, Option<string?> option)
    {
        if (r.GetResult(option) is null) return null;
        IReadOnlyList<EmotionCluster.Audio.PerturbationCondition> conditions;
        try
        {
            conditions = r.GetValue(option) is { Length: > 0 } list
                ? new[] { EmotionCluster.Audio.PerturbationCondition.Clean }.Concat(list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(EmotionCluster.Audio.PerturbationCondition.Parse)).Distinct().ToList()
                : EmotionCluster.Audio.PerturbationCondition.Standard;
        }
        catch (ArgumentException e) { throw new CliException($"{option.Name}: {e.Message}"); }
        return RequireCodec(conditions, option.Name);
    }

    /// <summary>The conditions, once sox is known to be there when the MP3 condition is among them.</summary>
    private static IReadOnlyList<EmotionCluster.Audio.PerturbationCondition> RequireCodec(IReadOnlyList<EmotionCluster.Audio.PerturbationCondition> conditions, string option)
    {
        if (conditions.Any(c => c.Kind == EmotionCluster.Audio.PerturbationKind.Codec) && !new EmotionCluster.Audio.CodecRoundTrip().IsAvailable())
            throw new CliException($"{option}: the MP3 condition needs sox with MP3 support; install the Debian packages sox and libsox-fmt-mp3 " +
                                   "(deploy/install-deps.sh), or list the conditions without mp3-32k");
        return conditions;
    }

    /// <summary>
    /// <c>manifest</c>: extracts the corpus into the feature store and writes the training manifest trainer nodes train
    /// from (<c>EmotionCluster:Training:Manifest</c>): the recipe and the train, validation and test parts of the
    /// stratified 70/20/10 split, by feature key (the test part is scored with the final model, never trained on).
    /// </summary>
    public static Command CreateManifest()
    {
        var common = new Common();
        var manifestPath = new Option<string?>("--manifest") { Description = "Training manifest to write (JSON; default: training-manifest.json in the --out folder)." };
        var command = new Command("manifest", "Extract features into the feature store and write the training manifest for trainer nodes (train and validation of the 70/20/10 split).");
        common.AddTo(command);
        command.Options.Add(manifestPath);
        command.SetAction((r, ct) => RunAsync(r, async output =>
        {
            var settings = common.Settings(r);
            string commandLine = "emotioncluster " + string.Join(' ', r.Tokens.Select(t => t.Value));
            var observer = new ConsoleObserver(output, Console.Error);
            await using var provider = await Providers.CreateAsync(r.GetValue(common.Extraction)!, r.GetValue(common.Store)!, ct);
            output.WriteLine($"features through {provider.Description} into {Path.GetFullPath(r.GetValue(common.Store)!)}");
            var workflow = new Workflow(settings, provider.Provider, new RunDirectory(r.GetValue(common.Out)!), observer);
            PreparedCorpus prepared = await workflow.PrepareAsync(common.Source(r), commandLine, r.GetValue(common.Limit), ct);
            var split = Splits.Stratified(prepared.Features.Clips, settings.Training.Seed);
            string path = r.GetValue(manifestPath) ?? Path.Combine(r.GetValue(common.Out)!, "training-manifest.json");
            // the recipe, the train and validation parts to train on, and the test part (its audio joins its speakers'
            // statistics; it is scored with the final model, never trained on)
            var (corpusName, corpusPath) = Workflow.Identity(prepared.Corpus);
            var manifest = EmotionCluster.TrainingActors.TrainingManifest.Create(prepared.Labels, settings,
                ExperimentRunner.ManifestPart(prepared.Features, split.Train, prepared.Labels, settings, train: true),
                ExperimentRunner.ManifestPart(prepared.Features, split.Validation, prepared.Labels, settings),
                ExperimentRunner.ManifestPart(prepared.Features, split.Test, prepared.Labels, settings))
                with { Corpus = corpusName, CorpusPath = corpusPath, Split = split.Name }; // recorded with the run in the journal
            manifest.Save(path);
            output.WriteLine($"training manifest: {Path.GetFullPath(path)} ({manifest.Train.Length} train, {manifest.Validation.Length} validation, " +
                             $"{manifest.Test!.Length} held-out test clips, {prepared.Labels.Length} emotions; recipe {settings.Hash()})");
            output.WriteLine($"start trainer nodes with EmotionCluster__Training__Manifest={Path.GetFullPath(path)} and the feature store above (--store)");
            return CliErrors.Ok;
        }));
        return command;
    }

    private static async Task MfccComparisonAsync(ParseResult r, Common common, Workflow w, PreparedCorpus prepared, TextWriter output, CancellationToken ct)
    {
        var s = w.Runner.Settings with { Features = w.Runner.Settings.Features with { Kind = FeatureKind.Mfcc } };
        output.WriteLine($"MFCC comparison: the same model and split on {s.Features.MfccCount} MFCCs");
        var observer = new ConsoleObserver(output, Console.Error);
        var mfcc = w.With(s, new RunDirectory(Path.Combine(w.Run.Root, "mfcc")));
        var features = await FeatureSet.ExtractAsync(prepared.Features.Clips, s.Features, w.Provider, new SyncProgress<BatchProgress>(observer.Extraction), ct);
        features = await TrainingVariants.AddAsync(features, s, w.Provider, new SyncProgress<BatchProgress>(observer.Extraction), observer.Line, ct);
        using var trained = mfcc.TrainSplit(prepared with { Features = features }, saveModel: false, ct);
        string setup = $"{s.Features.MfccCount} MFCCs from the same {s.Features.Mel.NMels} mel bands, same CNN, split and training";
        w.Run.Save("mfcc", new MfccComparison(setup, EvaluationProtocol.HeldOutTest, trained.Test.Accuracy, trained.Test.Uar));
        // the comparison is part of the main job's report (its run directory), not of the mfcc/ folder
        w.RecordArtifacts(trained.RunId, EmotionCluster.Evaluator.ReportRole.Mfcc, w.Run.Root, setup, ReportParts.Counts(trained.Split, trained.Labels),
            trained.Duration, ct);
        output.WriteLine($"MFCC test: accuracy {trained.Test.Accuracy:0.000}, UAR {trained.Test.Uar:0.000}");
    }

    private static async Task<int> Execute(ParseResult r, Common common, TextWriter output, CancellationToken ct, Func<Workflow, PreparedCorpus, Task> work)
    {
        var settings = common.Settings(r);
        int trainers = r.GetValue(common.Trainers);
        if (trainers < 1) throw new CliException($"--trainers {trainers}: train on at least 1 trainer node");
        if (trainers > 1 && r.GetValue(common.Join) is not { Length: > 0 })
            throw new CliException($"--trainers {trainers} trains across the trainer nodes of a cluster: join it with --join SEED " +
                                   "(start the nodes with 'emotioncluster-node run --roles trainer --store' the command's --store)");
        var started = DateTimeOffset.Now;
        string commandLine = "emotioncluster " + string.Join(' ', r.Tokens.Select(t => t.Value.Contains(' ') ? $"\"{t.Value}\"" : t.Value));
        var run = new RunDirectory(r.GetValue(common.Out)!);
        var observer = new ConsoleObserver(output, Console.Error);
        var journal = JournalBeside(run);
        await using var provider = await Providers.CreateAsync(r.GetValue(common.Extraction)!, r.GetValue(common.Store)!, ct, journal, r.GetValue(common.Join));
        output.WriteLine($"features through {provider.Description}; training on its trainer actor, every run persisted by its evaluator " +
                         $"({journal.Describe()}); run directory {run.Root}");
        var workflow = new Workflow(settings, provider.Provider, run, observer, provider.Trainer(Path.Combine(run.Root, "checkpoints")), provider.Journal,
            foldTrainer: provider.Folds, trainers: trainers);
        if (trainers > 1) output.WriteLine($"each run trained data-parallel on {trainers} trainer nodes of the cluster");
        PreparedCorpus prepared = await workflow.PrepareAsync(common.Source(r), commandLine, r.GetValue(common.Limit), ct);
        await work(workflow, prepared);
        run.Save("run", ReportParts.Run(commandLine, settings.Training.Seed, started, DateTimeOffset.Now));
        string report = Workflow.WriteReport(run);
        output.WriteLine($"report: {report} (job {workflow.Job}; rebuild it from the journal with 'report --run-id RUN')");
        return CliErrors.Ok;
    }

    public static Command CreateEvaluate()
    {
        var model = new Option<string>("--model") { Description = "Model file: model.ecm from train, or model.onnx from export onnx.", Required = true };
        var data = new Option<string>("--data") { Description = CorpusCommandOptions.DataDescription + " Another corpus than the model's: scored on the labels both have (cross-corpus).", Required = true };
        var corpusOptions = new CorpusCommandOptions();
        var split = new Option<string>("--split")
        {
            Description = "all (every clip of the model's emotions) or test: the run's held-out test clips, as listed in split.json " +
                          "beside the model (written by train); without it the 10% test part of the 70/20/10 split with --seed and --limit.",
            DefaultValueFactory = _ => "all",
        };
        var seed = new Option<int>("--seed") { Description = "Seed the model was trained with (--split test without split.json).", DefaultValueFactory = _ => 42 };
        var limit = new Option<int?>("--limit") { Description = "The --limit the model was trained with (--split test without split.json)." };
        var outDir = new Option<string?>("--out") { Description = "Folder to write metrics.json, predictions.json and the confusion matrices (PNG) to; without it nothing is written, the metrics are printed." };
        var json = new Option<bool>("--json") { Description = "Print the metrics as JSON." };
        var runtime = RuntimeOption();
        var encoder = EncoderPathOption();
        var command = new Command("evaluate", "Score a saved model on a corpus: accuracy, per-class precision/recall/F1, UAR, confusion matrix (JSON and PNG), per-clip predictions.")
        {
            model, data, split, seed, limit, outDir, json, runtime, encoder,
        };
        corpusOptions.AddTo(command);
        command.SetAction(r => CliErrors.Run(r, output =>
        {
            var ct = CancellationToken.None;
            string modelPath = r.GetValue(model)!;
            using var predictor = LoadPredictor(modelPath, r.GetValue(runtime));
            var input = predictor.Input;
            var features = input.Features.WithEncoderAt(r.GetValue(encoder));
            _ = new PipelineFeaturizer(features); // a missing or different encoder is refused before any work
            Corpus corpus = CorpusLoader.Load(r.GetValue(data)!, corpusOptions.ToOptions(r));
            var labels = predictor.Labels;
            IReadOnlyList<ClipInfo> clips = corpus.Clips.Where(c => labels.Contains(c.Emotion)).ToList();
            if (clips.Count == 0) throw new CliException($"{corpus.Root}: no clip has one of the model's emotions ({string.Join(", ", labels)}); map the corpus' labels with --map");
            // cross-corpus: the labels both have are scored; say which were left out on either side
            var present = corpus.Clips.Select(c => c.Emotion).ToHashSet();
            var modelOnly = labels.Where(l => !present.Contains(l)).ToList();
            var corpusOnly = Emotions.InOrder(present.Where(l => !labels.Contains(l))).ToList();
            if (modelOnly.Count > 0 || corpusOnly.Count > 0)
                output.WriteLine($"labels scored: {string.Join(", ", labels.Where(present.Contains))}" +
                                 (modelOnly.Count > 0 ? $"; the model's {string.Join(", ", modelOnly)} not in {corpus.Name} (recall undefined)" : "") +
                                 (corpusOnly.Count > 0 ? $"; {corpus.Name}'s {string.Join(", ", corpusOnly)} left out ({corpus.Clips.Count(c => corpusOnly.Contains(c.Emotion))} clips) — the model does not know them" : ""));
            string splitFile = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, SplitManifest.FileName);
            // the clips whose audio gives the speakers' statistics (Input.SpeakerNorm): those of the split the model was trained on
            IReadOnlyList<ClipInfo> speakerPool = clips;
            switch (r.GetValue(split))
            {
                case "all":
                    break;
                case "test" when File.Exists(splitFile):
                    var manifest = SplitManifest.Load(splitFile);
                    var ids = manifest.Test.ToHashSet();
                    var splitIds = manifest.Train.Concat(manifest.Validation).Concat(manifest.Test).ToHashSet();
                    speakerPool = clips.Where(c => splitIds.Contains(c.Id)).ToList();
                    clips = clips.Where(c => ids.Contains(c.Id)).ToList();
                    if (clips.Count != ids.Count)
                        throw new CliException($"{splitFile} lists {ids.Count} test clips but {corpus.Root} has {clips.Count} of them; evaluate on the corpus the model was trained on");
                    output.WriteLine($"test clips: the {clips.Count} listed in {splitFile}");
                    break;
                case "test":
                    var pool = r.GetValue(limit) is { } n ? Workflow.LimitPerEmotion(clips, n) : clips;
                    speakerPool = pool;
                    clips = Splits.Stratified(pool, r.GetValue(seed)).Test;
                    output.WriteLine($"test clips: the 10% part of the 70/20/10 split with seed {r.GetValue(seed)} ({clips.Count} clips; no {SplitManifest.FileName} beside the model)");
                    break;
                case var other:
                    throw new CliException($"--split {other}: use all or test");
            }
            var observer = new ConsoleObserver(output, r.InvocationConfiguration.Error);
            bool speakerNorm = input.Input.SpeakerNorm != EmotionCluster.Features.SpeakerNormalization.None;
            var extract = speakerNorm ? speakerPool.Concat(clips).DistinctBy(c => c.Id).ToList() : clips;
            // read only what is scored: a file longer than a minute is read, featurized and scored window by window, as
            // predict does (the same WindowedPrediction), never decoded whole; the others are extracted as clips
            var windowed = new WindowedPrediction(predictor, features);
            var evaluatedIds = clips.Select(c => c.Id).ToHashSet();
            var longResults = new Dictionary<string, WindowedResult>();
            var shortClips = new List<(ClipInfo Clip, double Seconds)>();
            var whole = new List<ClipInfo>();
            int longLeftOut = 0;
            foreach (var clip in extract)
            {
                EmotionCluster.Audio.WavInfo info;
                try { info = EmotionCluster.Audio.WavReader.ReadInfo(clip.Path); }
                catch (Exception e) when (e is IOException or EmotionCluster.Audio.AudioFormatException or ArgumentException)
                {
                    if (evaluatedIds.Contains(clip.Id)) output.WriteLine($"skipped {clip.Path}: {e.Message}");
                    continue;
                }
                if (!WindowedPrediction.IsLong(info))
                {
                    whole.Add(clip);
                    if (evaluatedIds.Contains(clip.Id) && info.DurationSeconds < windowed.WindowSeconds) shortClips.Add((clip, info.DurationSeconds));
                    continue;
                }
                if (!evaluatedIds.Contains(clip.Id)) { longLeftOut++; continue; } // a speaker-statistics clip only: not read
                try
                {
                    var result = windowed.Score(clip.Path, info);
                    longResults[clip.Id] = result;
                    r.InvocationConfiguration.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{clip.Path}: {info.DurationSeconds:0.0} s, scored window by window ({result.Timeline.Count} windows of {result.WindowSeconds:0.00} s; the mean is its prediction)"));
                }
                catch (Exception e) when (e is IOException or EmotionCluster.Audio.AudioFormatException or ArgumentException)
                {
                    output.WriteLine($"skipped {clip.Path}: {e.Message}");
                }
            }
            if (shortClips.Count > 0)
                r.InvocationConfiguration.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"note: {shortClips.Count} of {clips.Count} clips are shorter than the model's window ({windowed.WindowSeconds:0.00} s), e.g. " +
                    $"{string.Join(", ", shortClips.Take(3).Select(s => $"{s.Clip.Path} ({s.Seconds:0.00} s)"))}; they are padded, and their results rest on less speech than the model was trained on"));
            if (speakerNorm && (longResults.Count > 0 || longLeftOut > 0))
                r.InvocationConfiguration.Error.WriteLine($"note: files longer than {WindowedPrediction.LongFileSeconds:0} s are left out of the speakers' statistics " +
                                                          "(they are not read whole); each of their windows is normalized by its own statistics");
            var outcomes = new LocalFeatureProvider(new MemoryFeatureStore(), Math.Max(1, Environment.ProcessorCount))
                .ExtractAsync(whole.Select(c => new ClipSource(c.Id, c.Path)).ToList(), features,
                    new SyncProgress<BatchProgress>(observer.Extraction), ct).GetAwaiter().GetResult();
            var extracted = new List<(ClipInfo Clip, EmotionCluster.Features.Spectrogram X)>();
            foreach (var (clip, o) in whole.Zip(outcomes))
                if (o.Features is { } f) extracted.Add((clip, f)); else output.WriteLine($"skipped {clip.Path}: {o.Error}");
            var byId = extracted.ToDictionary(p => p.Clip.Id);
            // speaker normalization (when the model uses it): each corpus speaker's statistics over the split's clips
            var speakers = speakerNorm ? SpeakerStatistics.Of(extracted) : null;
            var scoredWhole = clips.Where(c => byId.ContainsKey(c.Id)).Select(c => byId[c.Id]).ToList();
            float[][] wholeProbabilities = scoredWhole.Count == 0 ? [] : predictor.PredictAveragedBatch(scoredWhole.Select(p =>
                input.Crops(p.X, speakers is not null && speakers.TryGetValue(p.Clip.Speaker, out var st) ? st : null)).ToList());
            var scored = new Dictionary<string, float[]>();
            for (int i = 0; i < scoredWhole.Count; i++) scored[scoredWhole[i].Clip.Id] = wholeProbabilities[i];
            foreach (var (id, result) in longResults) scored[id] = result.Mean;
            var chosenClips = clips.Where(c => scored.ContainsKey(c.Id)).ToList(); // in the evaluated clips' order
            if (chosenClips.Count == 0) throw new CliException($"{corpus.Root}: no clip produced features; see the errors above");
            var truth = chosenClips.Select(c => Array.IndexOf(labels, c.Emotion)).ToArray();
            var probabilities = chosenClips.Select(c => scored[c.Id]).ToArray();
            var predicted = probabilities.Select(p => Inference.ArgMax(p)).ToArray();
            var report = ClassificationMetrics.Compute(truth, predicted, labels);
            string? dir = r.GetValue(outDir) is { } given ? Path.GetFullPath(given) : null;
            if (dir is not null)
            {
                Directory.CreateDirectory(dir);
                File.WriteAllText(Path.Combine(dir, "metrics.json"), report.ToJson());
                File.WriteAllText(Path.Combine(dir, "predictions.json"), Predictions.ToJson(
                    Predictions.Of(chosenClips, labels, new EvaluationOutput(probabilities, predicted, null))));
                ReportParts.DrawConfusion(report.Confusion, labels, Path.Combine(dir, "confusion.png"), Path.Combine(dir, "confusion_normalized.png"), $"Confusion matrix ({r.GetValue(split)} clips)");
                if (longResults.Count > 0) // the long files' timelines, as predict --json gives them
                    File.WriteAllText(Path.Combine(dir, "timelines.json"), JsonSerializer.Serialize(
                        chosenClips.Where(c => longResults.ContainsKey(c.Id)).Select(c => TimelineJson(c.Id, c.Path, labels, longResults[c.Id])),
                        new JsonSerializerOptions { WriteIndented = true }));
            }
            if (r.GetValue(json)) output.WriteLine(report.ToJson());
            else
            {
                output.WriteLine(report.FormatTable());
                output.WriteLine(dir is null ? "no files written; give --out DIR for metrics.json, predictions.json and the confusion matrices"
                    : $"wrote {Path.Combine(dir, "metrics.json")}, predictions.json, confusion.png, confusion_normalized.png{(longResults.Count > 0 ? ", timelines.json" : "")}");
            }
            return CliErrors.Ok;
        }));
        return command;
    }

    public static Command CreatePredict()
    {
        var files = new Argument<string[]>("files") { Description = "WAV files to classify.", Arity = ArgumentArity.ZeroOrMore };
        var data = new Option<string?>("--data")
        {
            Description = "Classify every clip of a corpus or manifest instead of (or besides) FILES; with --same-speaker each speaker's clips (the corpus' speakers) are normalized together.",
        };
        var corpusOptions = new CorpusCommandOptions();
        var model = new Option<string>("--model") { Description = "Model file: model.ecm, or model.onnx from export onnx.", DefaultValueFactory = _ => Path.Combine("out", "run", RunDirectory.ModelFile) };
        var runtime = RuntimeOption();
        var featuresOut = new Option<string?>("--features-out")
        {
            Description = "Folder to write each file's model input to, as NumPy .npy (float32 [crops, 1, bins, frames], the name of the WAV): " +
                          "what the model is given, for running model.onnx elsewhere (docs/onnx.md).",
        };
        var json = new Option<bool>("--json") { Description = "One JSON object per file: label and per-class probabilities." };
        var sameSpeaker = new Option<bool>("--same-speaker")
        {
            Description = "The files are one speaker's: a model trained with speaker normalization (Input.SpeakerNorm) normalizes them by their statistics together instead of each file by its own.",
        };
        var encoder = EncoderPathOption();
        var command = new Command("predict", "Classify WAV files with a saved model: the emotion and the probability of each. A file longer than 60 s is scored window by window (bounded memory) with a timeline.") { files, model, json, sameSpeaker, data, runtime, featuresOut, encoder };
        corpusOptions.AddTo(command);
        command.SetAction(r => CliErrors.Run(r, output =>
        {
            // the files given, then a corpus' clips with their speakers (a lone file is its own speaker group)
            // with --same-speaker and no corpus, FILES are one speaker's: one group; beside a corpus each file is its own group
            string? filesSpeaker = r.GetValue(data) is null ? "files given" : null;
            var inputs = r.GetValue(files)!.Select(f => (File: f, Speaker: filesSpeaker)).ToList();
            if (r.GetValue(data) is { } corpusPath)
                inputs.AddRange(CorpusLoader.Load(corpusPath, corpusOptions.ToOptions(r)).Clips.Select(c => (File: c.Path, Speaker: SpeakerStatistics.SpeakerOf(c))));
            if (inputs.Count == 0) throw new CliException("give WAV files to classify, or --data CORPUS");
            using var predictor = LoadPredictor(r.GetValue(model)!, r.GetValue(runtime));
            var input = predictor.Input;
            var features = input.Features.WithEncoderAt(r.GetValue(encoder));
            var featurizer = new PipelineFeaturizer(features); // refuses a missing or different encoder, named
            var windowed = new WindowedPrediction(predictor, features);
            int failures = 0;
            // features of every file first (speaker statistics may need them all), then one line per file in order;
            // a long file is read and scored window by window instead (bounded memory), with a timeline
            var extracted = new List<(string File, string? Speaker, EmotionCluster.Features.Spectrogram? X, WindowedResult? Long, string? Error)>();
            foreach (var (file, fileSpeaker) in inputs)
            {
                try
                {
                    if (!File.Exists(file)) throw new FileNotFoundException($"{file}: no such file");
                    var info = EmotionCluster.Audio.WavReader.ReadInfo(file);
                    if (WindowedPrediction.IsLong(info))
                    {
                        var result = windowed.Score(file, info);
                        extracted.Add((file, fileSpeaker, null, result, null));
                        if (result.QuietWindows > 0 || result.ClippedWindows > 0)
                            r.InvocationConfiguration.Error.WriteLine($"warning: {file}: of {result.Timeline.Count} windows {result.QuietWindows} too quiet, {result.ClippedWindows} clipped; their results are unreliable");
                        continue;
                    }
                    byte[] bytes = File.ReadAllBytes(file);
                    var x = featurizer.Extract(bytes, file);
                    extracted.Add((file, fileSpeaker, x, null, null));
                    if (x.Frames < input.Input.Frames)
                        r.InvocationConfiguration.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"note: {file}: {info.DurationSeconds:0.00} s is shorter than the model's window ({windowed.WindowSeconds:0.00} s); it is padded, and the result rests on less speech than the model was trained on"));
                    // the recording as it is (before any preprocessing): too quiet or clipped makes the result unreliable
                    var level = EmotionCluster.Audio.InputLevel.Measure(EmotionCluster.Audio.WavReader.Read(bytes, file).Clip);
                    if (level.Warnings != EmotionCluster.Audio.LevelWarning.None)
                        r.InvocationConfiguration.Error.WriteLine($"warning: {file}: {level.Describe()}");
                }
                catch (Exception e) when (e is IOException or EmotionCluster.Audio.AudioFormatException or ArgumentException)
                {
                    extracted.Add((file, fileSpeaker, null, null, e.Message));
                }
            }
            var usable = extracted.Where(e => e.X is not null).ToList();
            bool byCorpusSpeaker = r.GetValue(data) is not null;
            bool grouped = r.GetValue(sameSpeaker) && input.Input.SpeakerNorm != EmotionCluster.Features.SpeakerNormalization.None;
            if (input.Input.SpeakerNorm != EmotionCluster.Features.SpeakerNormalization.None && !r.GetValue(sameSpeaker) && usable.Count > 1)
                r.InvocationConfiguration.Error.WriteLine("note: the model normalizes by speaker; each file is normalized by its own statistics. " +
                                                          (byCorpusSpeaker ? "Add --same-speaker to normalize each of the corpus' speakers together."
                                                              : "Add --same-speaker when the files are one speaker's."));
            // --same-speaker: each group's statistics (each file counted as often as it was given); a file without a group: its own
            var speakers = grouped ? ModelInput.SpeakerStatistics(usable.Select((e, i) => ($"{i}", e.Speaker, e.X!))) : null;
            foreach (var (file, fileSpeaker, x, longFile, error) in extracted)
            {
                EmotionCluster.Features.BandStatistics? speaker =
                    fileSpeaker is not null && speakers is not null && speakers.TryGetValue(fileSpeaker, out var st) ? st : null;
                if (longFile is not null)
                {
                    PrintTimeline(output, r.GetValue(json), file, predictor.Labels, longFile);
                    continue;
                }
                if (x is null)
                {
                    failures++;
                    if (r.GetValue(json)) output.WriteLine(JsonSerializer.Serialize(new { file, error }));
                    else r.InvocationConfiguration.Error.WriteLine($"error: {error}");
                    continue;
                }
                var crops = input.Crops(x, speaker);
                if (r.GetValue(featuresOut) is { } featuresDir)
                {
                    Directory.CreateDirectory(featuresDir);
                    Npy.Write(Path.Combine(featuresDir, Path.GetFileNameWithoutExtension(file) + ".npy"), crops);
                }
                float[] p = predictor.PredictAveraged(crops);
                int best = Inference.ArgMax(p);
                if (r.GetValue(json))
                    output.WriteLine(JsonSerializer.Serialize(new
                    {
                        file,
                        label = predictor.Labels[best],
                        probabilities = predictor.Labels.Select((l, i) => (l, i)).ToDictionary(q => q.l, q => p[q.i]), // full float precision
                    }));
                else
                    output.WriteLine($"{file}: {predictor.Labels[best]} ({p[best]:0.000})  " +
                                     string.Join(' ', predictor.Labels.Select((l, i) => string.Create(CultureInfo.InvariantCulture, $"{l}={p[i]:0.000}"))));
            }
            return failures == 0 ? CliErrors.Ok : CliErrors.UsageOrInput;
        }));
        return command;
    }

    /// <summary>A long file's windows as JSON: id, file, window length and per window start, end, label, probabilities.</summary>
    private static object TimelineJson(string id, string file, string[] labels, WindowedResult result)
    {
        Dictionary<string, float> Probabilities(float[] p) => labels.Select((l, i) => (l, i)).ToDictionary(q => q.l, q => p[q.i]);
        return new
        {
            id,
            file,
            windowSeconds = result.WindowSeconds,
            timeline = result.Timeline.Select(w => new { start = w.Start, end = w.End, label = labels[Inference.ArgMax(w.Probabilities)], probabilities = Probabilities(w.Probabilities) }),
        };
    }

    /// <summary>A long file's result: the mean over its windows, then one line (or JSON entry) per window.</summary>
    private static void PrintTimeline(TextWriter output, bool json, string file, string[] labels, WindowedResult result)
    {
        Dictionary<string, float> Probabilities(float[] p) => labels.Select((l, i) => (l, i)).ToDictionary(q => q.l, q => p[q.i]);
        int best = Inference.ArgMax(result.Mean);
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new
            {
                file,
                label = labels[best],
                probabilities = Probabilities(result.Mean),
                windowSeconds = result.WindowSeconds,
                timeline = result.Timeline.Select(w => new { start = w.Start, end = w.End, label = labels[Inference.ArgMax(w.Probabilities)], probabilities = Probabilities(w.Probabilities) }),
            }));
            return;
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{file}: {labels[best]} ({result.Mean[best]:0.000})  {string.Join(' ', labels.Select((l, i) => string.Create(CultureInfo.InvariantCulture, $"{l}={result.Mean[i]:0.000}")))}  " +
            $"(mean of {result.Timeline.Count} windows of {result.WindowSeconds:0.00} s; the file is longer than {WindowedPrediction.LongFileSeconds:0} s)"));
        foreach (var w in result.Timeline)
        {
            int top = Inference.ArgMax(w.Probabilities);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {w.Start:0.00}-{w.End:0.00} s  {labels[top]} ({w.Probabilities[top]:0.000})"));
        }
    }

    public static Command CreateReport()
    {
        var runDir = new Option<string>("--run") { Description = "Run directory written by run/train/crossval.", DefaultValueFactory = _ => Path.Combine("out", "run") };
        var runId = new Option<string?>("--run-id")
        {
            Description = "Rebuild the report of the job this run belongs to (a run id from 'runs list': the split's, the cross-validation's or a fold's) " +
                          "from the journal and the job's run directory alone: results and their charts from the journal.",
        };
        var db = new Option<string?>("--db") { Description = $"With --run-id: the journal's connection string (default: ${EmotionCluster.Evaluator.PersistenceSettings.ConnectionStringVariable}, else '{EmotionCluster.Evaluator.PersistenceSettings.DefaultConnectionString}')." };
        var provider = new Option<string?>("--provider") { Description = "With --run-id: sqlite or postgresql." };
        var output = new Option<string?>("--output") { Description = "Report path (default: RUN/report.md)." };
        var command = new Command("report", "Write the Markdown research report from a run directory (or, with --run-id, from the journal): every section of the template, with its charts.")
            { runDir, runId, db, provider, output };
        command.SetAction(r => CliErrors.Run(r, o =>
        {
            if (r.GetValue(runId) is { } id)
            {
                if (EmotionCluster.Evaluator.RunIds.Problem(id) is { } problem) throw new CliException($"--run-id: {problem}");
                var journal = RunsCommands.Settings(r.GetValue(provider), r.GetValue(db));
                try
                {
                    string rebuilt = RebuildAsync(journal, id, r.GetValue(output)).GetAwaiter().GetResult();
                    o.WriteLine($"report: {rebuilt} (rebuilt from the journal, {journal.Describe()})");
                }
                catch (Exception e) when (e is EmotionCluster.Evaluator.JournalUnavailableException or EmotionCluster.Evaluator.RunNotFoundException or InvalidDataException)
                {
                    throw new CliException(e.Message);
                }
                return CliErrors.Ok;
            }
            string dir = r.GetValue(runDir)!;
            if (!Directory.Exists(dir)) throw new CliException($"--run {dir}: no such run directory; run 'emotioncluster train --data DIR --out {dir}' first");
            string path = Workflow.WriteReport(new RunDirectory(dir), r.GetValue(output));
            o.WriteLine($"report: {path}");
            return CliErrors.Ok;
        }));
        return command;
    }

    private static async Task<string> RebuildAsync(EmotionCluster.Evaluator.PersistenceSettings settings, string runId, string? output)
    {
        await using var reader = await EmotionCluster.Evaluator.JournalReader.OpenAsync(settings);
        var job = await JournalReport.FindAsync(reader.Catalog, runId);
        return JournalReport.Write(job, output);
    }

    /// <summary>
    /// The journal a training command persists its runs in: <c>$EmotionCluster__Persistence__…</c> when set, else SQLite
    /// beside the run directory (<c>--out out/run</c>, the default: <c>out/emotioncluster.db</c>, where <c>runs list</c> looks).
    /// </summary>
    public static EmotionCluster.Evaluator.PersistenceSettings JournalBeside(RunDirectory run)
    {
        IConfiguration environment = RunsCommands.EnvironmentConfiguration();
        if (environment[RunsCommands.ConnectionStringKey] is { Length: > 0 })
            return RunsCommands.Settings(null, null, environment);
        string parent = Path.GetDirectoryName(Path.GetFullPath(run.Root)) ?? Path.GetFullPath(run.Root);
        return RunsCommands.Settings(null, $"Data Source={Path.Combine(parent, "emotioncluster.db")}");
    }

    /// <summary>--runtime of predict and evaluate: what runs the model (auto: by the model file).</summary>
    private static Option<string> RuntimeOption() => new("--runtime")
    {
        Description = "auto (ONNX Runtime for a .onnx model, TorchSharp for a .ecm), torch, or onnx (a .ecm is exported to ONNX in memory).",
        DefaultValueFactory = _ => "auto",
    };

    /// <summary>--encoder of predict and evaluate: where the encoder of a model trained on one is (default: the path the model records).</summary>
    private static Option<string?> EncoderPathOption() => new("--encoder")
    {
        Description = "For a model trained on a pretrained encoder's embeddings: the encoder file (default: the path recorded in the model); it must be the same file (SHA-256).",
    };

    private static IPredictor LoadPredictor(string path, string? runtime)
    {
        try { return Predictors.Load(path, Predictors.ParseRuntime(runtime, "--runtime")); }
        catch (ModelArtifactException e) { throw new CliException(e.Message); }
    }

    private static int Run(ParseResult r, Func<TextWriter, int> action) => CliErrors.Run(r, action);

    private static Task<int> RunAsync(ParseResult r, Func<TextWriter, Task<int>> action) =>
        Task.FromResult(CliErrors.Run(r, output => action(output).GetAwaiter().GetResult()));
}

/// <summary>
/// A command's embedded node — a cluster of one with every role: the trainer actor that trains its models, the
/// evaluator that persists every run in the journal (<c>runs list</c>), and the sharded extraction — and its feature
/// provider: the node's extraction (<c>cluster</c>) or a plain loop (<c>local</c>).
/// </summary>
public sealed class Providers : IAsyncDisposable
{
    private readonly EmbeddedNode _node;

    private Providers(IFeatureProvider provider, string description, EmbeddedNode node)
    {
        Provider = provider;
        Description = description;
        _node = node;
    }

    public IFeatureProvider Provider { get; }
    public string Description { get; }

    /// <summary>The node's evaluator, where the commands record folds, cross-validation summaries and where results went; null without a journal.</summary>
    public IRunJournal? Journal => EvaluatorRunJournal.Of(_node.System);

    /// <summary>The trainer nodes of the cluster this node joined (none in a cluster of one).</summary>
    public IFoldTrainer Folds => new ClusterFoldTrainer(_node.System);

    /// <summary>The trainer actor of the node, for jobs whose temporary files go below <paramref name="workDirectory"/>.</summary>
    public IModelTrainer Trainer(string workDirectory) => new ActorModelTrainer(_node.System, TrainingNode.Trainer(_node), workDirectory);

    /// <param name="journal">Where the evaluator persists the runs; null: no evaluator (commands that do not train).</param>
    /// <param name="seeds">Seed nodes of a cluster to join (<c>--join</c>); none: a cluster of one.</param>
    public static async Task<Providers> CreateAsync(string kind, string store, CancellationToken ct, EmotionCluster.Evaluator.PersistenceSettings? journal = null,
        IReadOnlyList<string>? seeds = null)
    {
        if (kind is not ("local" or "cluster")) throw new CliException($"--extraction {kind}: use cluster or local");
        var node = await TrainingNode.StartEmbeddedAsync(new NodeSettings { FeatureStorePath = store, SeedNodes = [.. seeds ?? []] }, journal, ct);
        return kind == "local"
            ? new Providers(new LocalFeatureProvider(new DirectoryFeatureStore(store), Environment.ProcessorCount), "a local extraction loop", node)
            : new Providers(node.FeatureProvider(), $"sharded extraction on an embedded cluster node ({Akka.Cluster.Cluster.Get(node.System).SelfAddress})", node);
    }

    public async ValueTask DisposeAsync() => await _node.DisposeAsync();
}
