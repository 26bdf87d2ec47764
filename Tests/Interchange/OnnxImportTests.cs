using System;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Interchange;

/// <summary>
/// ONNX models read back into NetGen's language: every network the export tests export, imported,
/// built by the generator and run, gives ONNX Runtime's output on the exported file, with the
/// original's layers, shapes and parameter names, its weights bit for bit; so does a model built as
/// PyTorch exports one.
/// </summary>
public class OnnxImportTests(ImportedNetworks imported) : IClassFixture<ImportedNetworks>
{
    private const int Batch = 3;

    public static TheoryData<string> Models()
    {
        var models = new TheoryData<string>();
        foreach (string name in OnnxExportTests.Networks().Cast<object[]>().Select(row => (string)row[0]))
            models.Add(name);
        models.Add(ImportedNetworks.TorchStyle);
        models.Add(ImportedNetworks.Vector);
        models.Add(ImportedNetworks.SamePadding);
        return models;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void TheImportedNetworkGivesOnnxRuntimesOutput(string name)
    {
        var model = imported.Cases[name];
        using var device = Device.Open("cpu");
        using var network = imported.Create(model, device);
        var images = Numbers.Uniform(Batch * network.Info.Input.Size, 5, 2f);
        using var forward = network.CreateForwardPass(Batch);
        var actual = forward.Run(images);
        var expected = RunOnnx(model.Onnx, network.Info, images);
        Assert.Equal(expected.Length, actual.Length);
        Numbers.AssertClose(expected, actual, $"{name}: the import against ONNX Runtime on the model", relative: 1e-4, absolute: 1e-6);
    }

    [Theory]
    [MemberData(nameof(OnnxExportTests.Networks), MemberType = typeof(OnnxExportTests))]
    public void TheImportHasTheOriginalsLayersShapesAndParameters(string name)
    {
        var model = imported.Cases[name];
        var original = model.Original!;
        var info = imported.Info(model);
        Assert.Equal(original.Input, info.Input);
        Assert.Equal(original.Layers.Select(l => (l.Name, l.Input, l.Output)), info.Layers.Select(l => (l.Name, l.Input, l.Output)));
        // Dropout does nothing in evaluation, so the exported graph leaves it out; every other operation comes back.
        Assert.Equal(original.Layers.Select(l => Kinds(l, "dropout")), info.Layers.Select(l => Kinds(l)));
        Assert.Equal(original.Parameters.Select(p => (p.Name, string.Join("x", p.Dimensions), p.DType)), info.Parameters.Select(p => (p.Name, string.Join("x", p.Dimensions), p.DType)));
        Assert.Equal(original.Layers.Any(l => l.Operations.Any(o => o.Kind == "lrn")) ? original.Columns : 1, info.Columns);

        // The weights are the exported ones, bit for bit, under the original's names (the count of batches, which ONNX does not keep, is 0).
        var weights = Checkpoint.Load(model.Weights, original).Parameters;
        foreach (var p in original.Parameters)
            for (long i = p.Offset; i < p.Offset + p.Count; i++)
                Assert.Equal(p.Name.EndsWith("num_batches_tracked", StringComparison.Ordinal) ? 0f : model.OriginalParameters![i], weights[i]);
    }

    /// <summary>ONNX Runtime's output on <paramref name="images"/>, shaped as the model's input is: (N, C, H, W), or (N, features).</summary>
    private static float[] RunOnnx(string path, NetworkInfo info, float[] images)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(path, options);
        var (name, input) = session.InputMetadata.Single();
        int[] shape = input.Dimensions.Length == 2 ? [Batch, info.Input.Size] : [Batch, info.Input.Channels, info.Input.Height, info.Input.Width];
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(images, shape))]);
        return results.Single().AsTensor<float>().ToArray();
    }

    private static string Kinds(LayerInfo layer, string leftOut = "") => string.Join(" ", layer.Operations.Select(o => o.Kind).Where(k => k != leftOut));

    [Fact]
    public void MiniAlexNetComesBackAsItsDeclaration()
    {
        // The pools' end padding becomes ceil rounding, said once for the network; the split LRN
        // becomes two columns; ONNX's alpha 5e-4 is the paper's 1e-4, the default.
        Assert.Equal(
            """
            [Network(Channels = 1, Height = 28, Width = 28, Columns = 2, Round = Rounding.Ceil)]
            public sealed partial class ImportedMiniAlexNet
            {
                /// <summary>32 x 14 x 14, from node "conv1/conv" (Conv).</summary>
                [Conv(32, Kernel = 3, Pad = 1), Relu, Lrn(5), MaxPool(3, Stride = 2)]
                public partial Layer Conv1 { get; }

                /// <summary>64 x 7 x 7, from node "conv2/conv" (Conv).</summary>
                [Conv(64, Kernel = 3, Pad = 1), Relu, Lrn(5), MaxPool(3, Stride = 2)]
                public partial Layer Conv2 { get; }

                /// <summary>96 x 7 x 7, from node "conv3/conv" (Conv).</summary>
                [Conv(96, Kernel = 3, Pad = 1), Relu]
                public partial Layer Conv3 { get; }

                /// <summary>96 x 7 x 7, from node "conv4/conv" (Conv).</summary>
                [Conv(96, Kernel = 3, Pad = 1), Relu]
                public partial Layer Conv4 { get; }

                /// <summary>64 x 7 x 7, from node "conv5/conv" (Conv).</summary>
                [Conv(64, Kernel = 3, Pad = 1), Relu]
                public partial Layer Conv5 { get; }

                /// <summary>512, from node "fc6/dense" (Gemm).</summary>
                [Dense(512), Relu]
                public partial Layer Fc6 { get; }

                /// <summary>512, from node "fc7/dense" (Gemm).</summary>
                [Dense(512), Relu]
                public partial Layer Fc7 { get; }

                /// <summary>10, from node "fc8/dense" (Gemm).</summary>
                [Dense(10), Softmax]
                public partial Layer Fc8 { get; }
            }

            """.ReplaceLineEndings("\n"), Body(imported.Cases["MiniAlexNet"].Imported.Declaration));
    }

    [Fact]
    public void AResidualNetworkNamesWhatItReadsAndAdds()
    {
        string declaration = imported.Cases["ResNet8"].Imported.Declaration;
        Assert.Contains("[Network(Channels = 1, Height = 28, Width = 28, Round = Rounding.Floor)]", declaration);
        // The shortcut reads the layer before it, so it needs no Input (ResNet8 says it anyway); the block beside it does.
        Assert.Contains("[Conv(32, Kernel = 1, Stride = 2, Bias = false), BatchNorm]\n    public partial Layer Shortcut2 { get; }", declaration);
        Assert.Contains("[Conv(32, Kernel = 3, Stride = 2, Pad = 1, Bias = false, Input = nameof(Block1b)), BatchNorm, Relu]\n    public partial Layer Block2a { get; }", declaration);
        Assert.Contains("[Conv(32, Kernel = 3, Pad = 1, Bias = false), BatchNorm, Add(nameof(Shortcut2)), Relu, GlobalAvgPool]\n    public partial Layer Block2b { get; }", declaration);
    }

    [Fact]
    public void APyTorchStyleModelComesBackAsTheDeclarationItMeans()
    {
        // The convolution's bias before batch normalisation moved into the running mean (NetGen would warn, NG0030).
        Assert.Equal(TorchStyleModel.Declaration.ReplaceLineEndings("\n"), Body(imported.Cases[ImportedNetworks.TorchStyle].Imported.Declaration));
        var torch = imported.Cases[ImportedNetworks.TorchStyle];
        var tensors = torch.Imported.Tensors.ToDictionary(t => t.Name);
        Assert.False(tensors.ContainsKey("conv1.bias"));
        Assert.Equal(0L, tensors["layer10conv1.bn.num_batches_tracked"].ToInt64s().Single());
        Assert.Equal("I64", tensors["conv1.bn.num_batches_tracked"].DType);
    }

    [Fact]
    public void VectorsAndSamePaddingComeBackAsTheDeclarationsTheyMean()
    {
        // Gemm's alpha and beta are in the weights; a vector input is C x 1 x 1.
        Assert.Equal(
            """
            [Network(Channels = 12, Height = 1, Width = 1)]
            public sealed partial class VectorModel
            {
                /// <summary>5, from node "gemm0" (Gemm).</summary>
                [Dense(5), Elu(0.5f)]
                public partial Layer Layer1 { get; }

                /// <summary>4, from node "gemm1" (Gemm).</summary>
                [Dense(4), LeakyRelu(0.2f)]
                public partial Layer Layer2 { get; }

                /// <summary>3, from node "matmul" (MatMul).</summary>
                [Dense(3, Bias = false), Sigmoid]
                public partial Layer Layer3 { get; }
            }

            """.ReplaceLineEndings("\n"), Body(imported.Cases[ImportedNetworks.Vector].Imported.Declaration));
        // SAME_UPPER pads 7 by 1 and 1 for a stride-2 kernel of 3: Pad = 1, exact; the pool's ceil_mode is ceil rounding.
        Assert.Contains("[Network(Channels = 2, Height = 7, Width = 7, Round = Rounding.Ceil)]", imported.Cases[ImportedNetworks.SamePadding].Imported.Declaration);
        Assert.Contains("[Conv(4, Kernel = 3, Stride = 2, Pad = 1), Tanh, AvgPool(3, Stride = 2, Pad = 1)]", imported.Cases[ImportedNetworks.SamePadding].Imported.Declaration);
        Assert.Contains("[Conv(6, Kernel = 1, Bias = false), GlobalAvgPool]", imported.Cases[ImportedNetworks.SamePadding].Imported.Declaration);
    }

    [Fact]
    public void TheWeightsFileSaysWhereItCameFrom()
    {
        var file = SafeTensorsFile.Read(imported.Cases["ResNet8"].Weights);
        Assert.Equal("ImportedResNet8", file.Metadata["netgen.network"]);
        Assert.Equal("ResNet8.onnx", file.Metadata["netgen.imported_from"]);
        Assert.Equal("pt", file.Metadata["format"]);
    }

    /// <summary>The declaration from its <c>[Network]</c> attribute on, past the header comment and the usings.</summary>
    private static string Body(string declaration) => declaration[declaration.IndexOf("[Network(", StringComparison.Ordinal)..];
}
