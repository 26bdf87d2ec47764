using System;
using System.IO;
using NetGen.Tests.Infrastructure;
using Onnx;
using static NetGen.Tests.Interchange.OnnxModelBuilder;

namespace NetGen.Tests.Interchange;

/// <summary>
/// A model with an operator or a pattern NetGen's language lacks is refused in one line that names
/// the node and says why, and nothing is written.
/// </summary>
public class OnnxImportRefusalTests
{
    public static TheoryData<string, string> Refusals() => new()
    {
        { "resize", "node \"x/Resize\" (Resize) has no counterpart in NetGen's language" },
        { "dilated", "node \"conv1/conv\" (Conv) has dilations [2, 2]; NetGen's windows are not dilated" },
        { "uneven pads", "node \"conv1/conv\" (Conv) pads [1, 1, 0, 0], which gives a 4 x 4 output from 5 x 5; NetGen's Pad = 1 gives 5 x 5 rounded down and 5 x 5 rounded up" },
        { "read inside a layer", "node \"conv1/relu\" (Relu) reads \"conv1/conv\", which 2 operations read; a NetGen layer is read only at its end, " +
            "so only a Conv or Gemm (Input = nameof(...)) or an Add (Add(nameof(...))) can read an output that several read" },
        { "gelu with another constant", "node \"conv1/gelu_square\" (Mul) has no counterpart in NetGen's language" },
        { "normalised input", "node \"bn\" (BatchNormalization) reads the network's input \"input\"; a NetGen network starts with a Conv or Gemm" },
        { "columns that do not divide", "node \"conv2/conv\" (Conv) has 3 outputs, which do not split into 2 columns; the model's LRNs normalise within 2 columns, which NetGen declares as Columns = 2" },
        { "no layers", "the graph has no Conv, Gemm or MatMul; a NetGen network is layers that each start with one" },
        { "average without padding", "node \"pool\" (AveragePool) leaves its padding out of the average (count_include_pad = 0); NetGen's average pool counts it, as PyTorch's count_include_pad=True does" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void TheRefusalIsOneLineNamingTheNodeAndNothingIsWritten(string model, string why)
    {
        using var folder = new TemporaryFolder();
        string path = Build(model).Save(folder.File("model.onnx"));
        string output = folder.File("out", "placeholder");
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);

        var e = Assert.Throws<InvalidDataException>(() => OnnxImport.Write(path, "Refused", Path.GetDirectoryName(output)!));
        Assert.Equal($"{path}: {why}", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(Path.GetDirectoryName(output)!));
    }

    /// <summary>The model named <paramref name="name"/>: each a small network around the one thing NetGen lacks.</summary>
    internal static OnnxModelBuilder Build(string name)
    {
        var b = new OnnxModelBuilder();
        string x = b.Input("input", 3, 5, 5);
        string Conv(string layer, string input, long filters, long inputs, long kernel, params AttributeProto[] attributes) =>
            b.Node("Conv", $"{layer}/conv", [input, b.Random($"{layer}.weight", 0.5f, filters, inputs, kernel, kernel)], $"{layer}/conv",
                [Ints("kernel_shape", kernel, kernel), .. attributes]);
        switch (name)
        {
            case "resize":
                x = b.Node("Resize", "x/Resize", [Conv("conv1", x, 2, 3, 1), "", b.Floats("scales", [1f, 1f, 2f, 2f], 4)], "resized");
                break;
            case "dilated":
                x = Conv("conv1", x, 2, 3, 2, Ints("dilations", 2, 2));
                break;
            case "uneven pads":
                x = Conv("conv1", x, 2, 3, 3, Ints("pads", 1, 1, 0, 0));
                break;
            case "read inside a layer":
                string conv = Conv("conv1", x, 3, 3, 1);
                x = b.Node("Add", "conv1/add", [b.Node("Relu", "conv1/relu", [conv], "conv1/relu"), conv], "sum");
                break;
            case "gelu with another constant":
                x = Conv("conv1", x, 2, 3, 1);
                string cube = b.Node("Mul", "conv1/gelu_cube", [b.Node("Mul", "conv1/gelu_square", [x, x], "square"), x], "cube");
                string inner = b.Node("Add", "conv1/gelu_sum", [x, b.Node("Mul", "conv1/gelu_kappa", [cube, b.Floats("kappa", [0.05f])], "kappa_x3")], "sum");
                string t = b.Node("Tanh", "conv1/gelu_tanh", [b.Node("Mul", "conv1/gelu_beta", [inner, b.Floats("beta", [0.7978846f])], "scaled")], "t");
                x = b.Node("Mul", "conv1/gelu", [b.Node("Mul", "conv1/gelu_half", [x, b.Floats("half", [0.5f])], "half_x"),
                    b.Node("Add", "conv1/gelu_one_plus", [t, b.Floats("one", [1f])], "one_plus")], "gelu");
                break;
            case "normalised input":
                x = b.Node("BatchNormalization", "bn", [x, b.Floats("s", [1f, 1f, 1f], 3), b.Floats("b", [0f, 0f, 0f], 3), b.Floats("m", [0f, 0f, 0f], 3), b.Floats("v", [1f, 1f, 1f], 3)], "normalised");
                x = Conv("conv1", x, 2, 3, 1);
                break;
            case "columns that do not divide":
                x = Conv("conv1", x, 4, 3, 1);
                b.Node("Split", "conv1/split", [x, b.IntTensor("sizes", 2, 2)], ["part0", "part1"], Int("axis", 1));
                string[] normalised = [b.Node("LRN", "conv1/lrn0", ["part0"], "lrn0", Int("size", 3)), b.Node("LRN", "conv1/lrn1", ["part1"], "lrn1", Int("size", 3))];
                x = b.Node("Concat", "conv1/join", normalised, "joined", Int("axis", 1));
                x = Conv("conv3", Conv("conv2", x, 3, 4, 1), 2, 3, 1);
                break;
            case "no layers":
                x = b.Node("Flatten", "flatten", [x], "flat", Int("axis", 1));
                break;
            case "average without padding":
                x = b.Node("AveragePool", "pool", [Conv("conv1", x, 2, 3, 1)], "pooled", Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1), Ints("strides", 2, 2));
                break;
            default:
                throw new ArgumentException($"no model {name}", nameof(name));
        }
        b.Output(x);
        return b;
    }
}
