using System.CommandLine;
using System.Globalization;
using EmotionCluster.Model;
using EmotionCluster.Model.Onnx;

namespace EmotionCluster.Cli;

/// <summary><c>export onnx</c>: a trained model as an ONNX graph for ONNX Runtime and other tools (docs/onnx.md).</summary>
public static class ExportCommands
{
    public static Command Create()
    {
        var command = new Command("export", "Write a trained model in another format.");
        command.Subcommands.Add(CreateOnnx());
        return command;
    }

    private static Command CreateOnnx()
    {
        var model = new Option<string>("--model") { Description = "Model file (model.ecm from train or run).", Required = true };
        var output = new Option<string>("--out") { Description = "ONNX file to write (e.g. model.onnx).", Required = true };
        var command = new Command("onnx",
            "Export the CNN as an ONNX graph (input: shaped features [batch, 1, bins, frames]; output: probabilities [batch, classes]) " +
            "with the labels, the input contract and the training run in its metadata. predict, evaluate and predictor nodes load the .onnx with ONNX Runtime.")
        {
            model, output,
        };
        command.SetAction(r => CliErrors.Run(r, o =>
        {
            string from = r.GetValue(model)!, to = r.GetValue(output)!;
            if (OnnxModelFile.IsOnnx(from)) throw new CliException($"--model {from} is already an ONNX model; give the .ecm model file it was exported from");
            if (string.Equals(Path.GetFullPath(from), Path.GetFullPath(to), StringComparison.Ordinal))
                throw new CliException($"--out {to} is the model file itself; give another file name, e.g. {Path.ChangeExtension(to, ".onnx")}");
            OnnxExport.Export(from, to);
            // read back with ONNX Runtime: what predict and predictor nodes will load
            using var exported = OnnxPredictor.Load(to);
            var cnn = exported.Settings;
            o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{to}: ONNX (IR {OnnxGraph.IrVersion}, opset {OnnxGraph.OpsetVersion}), {new FileInfo(to).Length / 1024.0:0.0} KiB; " +
                $"input '{OnnxModelFile.InputName}' [batch, 1, {cnn.InputBins}, {cnn.InputFrames}], output '{OnnxModelFile.OutputName}' [batch, {cnn.Classes}]: " +
                $"{string.Join(", ", exported.Labels)}{(exported.RunId is { } run ? $"; run {run}" : "")}"));
            return CliErrors.Ok;
        }));
        return command;
    }
}
