using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using NetGen.Networks;
using NetGen.Tests.Infrastructure;
using NetGen.Tests.Kernels;
using NetGen.Tests.Training;

namespace NetGen.Tests.Interchange;

/// <summary>
/// Every network the tests declare, exported with random weights (batch normalisation's running
/// statistics drawn too, so evaluation mode is tested on statistics that are not the initial ones)
/// and run by ONNX Runtime on a batch of three: its output must equal NetGen's forward pass on the
/// CPU backend, to 1e-4 relative. Between them the networks hold every operation of the language,
/// each rounding, columns, named inputs and the residual add.
/// </summary>
public class OnnxExportTests
{
    private const int Batch = 3;

    public static TheoryData<string> Networks() =>
    [
        nameof(AlexNet), nameof(MiniAlexNet), nameof(ResNet8), nameof(ResNet14),
        nameof(ConvProbe), nameof(RoundingProbe), nameof(LrnProbe), nameof(LrnCaffeProbe), nameof(PoolProbe), nameof(GlobalAvgPoolProbe),
        nameof(DenseProbe), nameof(NoBiasProbe), nameof(LeakyReluNet), nameof(EluNet), nameof(GeluNet), nameof(SigmoidNet), nameof(TanhNet),
        nameof(MixedActivationsNet), nameof(DenseBatchNormProbe), nameof(CeilAndJoinProbe),
    ];

    /// <summary>Creates the network named <paramref name="name"/> on <paramref name="device"/>.</summary>
    public static Network Create(string name, Device device, ulong seed) => name switch
    {
        nameof(AlexNet) => new AlexNet(device, seed),
        nameof(MiniAlexNet) => new MiniAlexNet(device, seed),
        nameof(ResNet8) => new ResNet8(device, seed),
        nameof(ResNet14) => new ResNet14(device, seed),
        nameof(ConvProbe) => new ConvProbe(device, seed),
        nameof(RoundingProbe) => new RoundingProbe(device, seed),
        nameof(LrnProbe) => new LrnProbe(device, seed),
        nameof(LrnCaffeProbe) => new LrnCaffeProbe(device, seed),
        nameof(PoolProbe) => new PoolProbe(device, seed),
        nameof(GlobalAvgPoolProbe) => new GlobalAvgPoolProbe(device, seed),
        nameof(DenseProbe) => new DenseProbe(device, seed),
        nameof(NoBiasProbe) => new NoBiasProbe(device, seed),
        nameof(LeakyReluNet) => new LeakyReluNet(device, seed),
        nameof(EluNet) => new EluNet(device, seed),
        nameof(GeluNet) => new GeluNet(device, seed),
        nameof(SigmoidNet) => new SigmoidNet(device, seed),
        nameof(TanhNet) => new TanhNet(device, seed),
        nameof(MixedActivationsNet) => new MixedActivationsNet(device, seed),
        nameof(DenseBatchNormProbe) => new DenseBatchNormProbe(device, seed),
        nameof(CeilAndJoinProbe) => new CeilAndJoinProbe(device, seed),
        _ => throw new ArgumentException($"no test network {name}", nameof(name)),
    };

    /// <summary>
    /// Parameters drawn so every value matters: weights and biases uniform in ±0.5 (scaled down for
    /// wide layers so activations stay in range), running means in ±0.5, running variances in [0.5, 2).
    /// </summary>
    public static float[] RandomParameters(NetworkInfo info, int seed)
    {
        var random = new Random(seed);
        var values = new float[info.ParameterCount];
        foreach (var p in info.Parameters)
        {
            long fanIn = p.Dimensions.Count > 1 ? p.Count / p.Dimensions[0] : 1;
            for (long i = 0; i < p.Count; i++)
                values[p.Offset + i] = p.Name.EndsWith("running_var", StringComparison.Ordinal) ? 0.5f + 1.5f * random.NextSingle()
                    : p.Name.EndsWith("num_batches_tracked", StringComparison.Ordinal) ? 7f
                    : (random.NextSingle() - 0.5f) * (p.Dimensions.Count > 1 ? 2f / MathF.Sqrt(fanIn) : 1f);
        }
        return values;
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void OnnxRuntimeGivesNetGensOutput(string name)
    {
        using var device = Device.Open("cpu");
        using var network = Create(name, device, 1);
        var info = network.Info;
        network.WriteParameters(RandomParameters(info, 11));
        var images = Numbers.Uniform(Batch * (int)info.Input.Size, 5, 2f);
        using var forward = network.CreateForwardPass(Batch);
        var expected = forward.Run(images);

        using var folder = new TemporaryFolder();
        string path = folder.File(name + ".onnx");
        OnnxExport.Write(network, path);
        var actual = RunOnnx(path, info, images, Batch);

        Assert.Equal(expected.Length, actual.Length);
        Numbers.AssertClose(expected, actual, $"{name}: ONNX Runtime against NetGen", relative: 1e-4, absolute: 1e-6);
    }

    [Fact]
    public void TheBatchDimensionIsOpenAndTheNamesAreTheGraphs()
    {
        var info = NetworkCatalog.Find("minialexnet")!.Info;
        var model = OnnxExport.Build(info, RandomParameters(info, 3));
        Assert.Equal(OnnxExport.Opset, model.OpsetImport.Single().Version);
        var input = model.Graph.Input.Single();
        Assert.Equal("input", input.Name);
        Assert.Equal(OnnxExport.BatchDimension, input.Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal([info.Input.Channels, info.Input.Height, info.Input.Width], input.Type.TensorType.Shape.Dim.Skip(1).Select(d => (int)d.DimValue));
        Assert.Equal("probabilities", model.Graph.Output.Single().Name);
        // Dropout is left out, and every parameter the graph reads is an initializer (no running statistics' counts).
        Assert.DoesNotContain(model.Graph.Node, n => n.OpType == "Dropout");
        Assert.Equal(info.Parameters.Select(p => p.Name), model.Graph.Initializer.Select(t => t.Name).Where(n => !n.Contains('/')));
    }

    [Fact]
    public void TheAlphaOfTheLrnIsOnnxsConvention()
    {
        // ONNX divides alpha by the size, as Caffe and PyTorch do; the paper (and NetGen's default) does not.
        var paper = OnnxExport.Build(NetworkCatalog.Find("alexnet")!.Info, new float[NetworkCatalog.Find("alexnet")!.Info.ParameterCount]);
        var lrn = paper.Graph.Node.First(n => n.OpType == "LRN");
        Assert.Equal(5e-4f, lrn.Attribute.Single(a => a.Name == "alpha").F);
        Assert.Equal(2f, lrn.Attribute.Single(a => a.Name == "bias").F);
        // AlexNet's two columns normalise apart: split, normalise, join.
        Assert.Equal(["Split", "LRN", "LRN", "Concat"], paper.Graph.Node.SkipWhile(n => n.OpType != "Split").Take(4).Select(n => n.OpType));
    }

    /// <summary>Runs the model at <paramref name="path"/> in ONNX Runtime on <paramref name="images"/> and returns its one output.</summary>
    public static float[] RunOnnx(string path, NetworkInfo info, float[] images, int batch)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(path, options);
        string inputName = session.InputMetadata.Keys.Single();
        var tensor = new DenseTensor<float>(images, [batch, info.Input.Channels, info.Input.Height, info.Input.Width]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, tensor)]);
        return results.Single().AsTensor<float>().ToArray();
    }
}
