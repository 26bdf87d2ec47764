using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

using NetGen.Networks;

namespace NetGen.Tests.Checkpoints;

/// <summary>Network checkpoints: PyTorch's names and shapes, exact round trips, and refusals that say what is wrong.</summary>
public sealed class CheckpointTests : IDisposable
{
    private static readonly NetworkInfo Mini = MiniAlexNet.Description;

    // MiniAlexNet's state dict as PyTorch would list it, worked out by hand from the declaration:
    // every convolution sees all its input channels, fc6 sees conv5's 64 x 7 x 7 (no pool after conv5).
    private static readonly (string Name, long[] Shape)[] MiniStateDict =
    [
        ("conv1.weight", [32, 1, 3, 3]), ("conv1.bias", [32]),
        ("conv2.weight", [64, 32, 3, 3]), ("conv2.bias", [64]),
        ("conv3.weight", [96, 64, 3, 3]), ("conv3.bias", [96]),
        ("conv4.weight", [96, 96, 3, 3]), ("conv4.bias", [96]),
        ("conv5.weight", [64, 96, 3, 3]), ("conv5.bias", [64]),
        ("fc6.weight", [512, 3136]), ("fc6.bias", [512]),
        ("fc7.weight", [512, 512]), ("fc7.bias", [512]),
        ("fc8.weight", [10, 512]), ("fc8.bias", [10]),
    ];

    // The state dict's sizes summed: 212,608 in the convolutions, 3,136 x 512 + 512 in fc6, then fc7 and fc8.
    private const int MiniParameters = 2_086_538;

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void MiniAlexNetRoundTripIsBitExact()
    {
        float[] parameters = Values(MiniParameters, seed: 1);
        float[] momentum = Values(MiniParameters, seed: 2);
        var state = new TrainingState(Epoch: 7, Step: 12_345, LearningRate: 0.01f * 0.1f * 0.1f, Seed: ulong.MaxValue);
        string path = _temp.File("mini.safetensors");

        Checkpoint.Save(path, Mini, parameters, momentum, state, new Dictionary<string, string> { ["note"] = "hello" });
        var loaded = Checkpoint.Load(path, Mini);

        Assert.Equal(Bits(parameters), Bits(loaded.Parameters));
        Assert.Equal(Bits(momentum!), Bits(loaded.Momentum!));
        Assert.Equal(state, loaded.State);
        Assert.Equal(BitConverter.SingleToInt32Bits(state.LearningRate), BitConverter.SingleToInt32Bits(loaded.State.LearningRate));
        Assert.Equal("hello", loaded.Metadata["note"]);
        Assert.Equal("MiniAlexNet", loaded.Metadata["netgen.network"]);
    }

    [Theory, InlineData(Optimizer.Adam), InlineData(Optimizer.AdamW)]
    public void AdamsMomentsRoundTripBitExactUnderPyTorchsNames(Optimizer optimizer)
    {
        var state = new OptimiserState(optimizer, 9_876_543_210, Values(MiniParameters, seed: 11), Values(MiniParameters, seed: 12));
        string path = _temp.File("adam.safetensors");
        Checkpoint.Save(path, Mini, Values(MiniParameters, seed: 10), new TrainingState(1, 5, 0.001f, 2), state);

        var file = SafeTensorsFile.Read(path);
        Assert.Equal(MiniStateDict.Select(p => p.Name).Concat(MiniStateDict.Select(p => "exp_avg." + p.Name)).Concat(MiniStateDict.Select(p => "exp_avg_sq." + p.Name)),
            file.Tensors.Select(t => t.Name));
        Assert.Equal((optimizer == Optimizer.Adam ? "adam" : "adamw", "9876543210"), (file.Metadata["optimizer"], file.Metadata["optimizer_step"]));
        var loaded = Checkpoint.Load(path, Mini).Optimiser!;
        Assert.Equal((optimizer, 9_876_543_210L), (loaded.Kind, loaded.Steps));
        Assert.Equal(Bits(state.First), Bits(loaded.First));
        Assert.Equal(Bits(state.Second!), Bits(loaded.Second!));
        Assert.Null(Checkpoint.Load(path, Mini).Momentum);

        // The second moment is all or nothing too, and an optimizer the file names must be one NetGen knows.
        string partial = Copy(path, _temp.File("partial.safetensors"), tensors => tensors.Where(t => t.Name != "exp_avg_sq.fc8.bias"));
        AssertInvalid(() => Checkpoint.Load(partial, Mini), partial, "has exp_avg_sq for 15 of MiniAlexNet's 16 parameters but not for 'fc8.bias'");
        string unknown = Rewrite(path, tensors => tensors, new Dictionary<string, string> { ["optimizer"] = "rmsprop" });
        AssertInvalid(() => Checkpoint.Load(unknown, Mini), unknown, "metadata 'optimizer' is 'rmsprop', not sgd, adam or adamw");
    }

    [Fact]
    public void AnSgdCheckpointFromBeforeAdamStillLoads()
    {
        // NetGen's checkpoints before Adam: momentum.* tensors and no optimizer metadata.
        string path = Saved(momentum: true);
        var file = SafeTensorsFile.Read(path);
        var metadata = file.Metadata.Where(m => m.Key is not ("optimizer" or "optimizer_step")).ToDictionary();
        SafeTensorsFile.Write(path, file.Tensors.ToList(), metadata);
        Assert.False(SafeTensorsFile.Read(path).Metadata.ContainsKey("optimizer"));

        var loaded = Checkpoint.Load(path, Mini);
        Assert.Equal((Optimizer.Sgd, 2L), (loaded.Optimiser!.Kind, loaded.Optimiser.Steps)); // the run's step count stands in for the optimiser's
        Assert.Equal(Bits(Values(MiniParameters, seed: 6)), Bits(loaded.Momentum!));
        Assert.Null(loaded.Optimiser.Second);
    }

    [Fact]
    public void SaveWritesPyTorchNamesShapesAndMetadata()
    {
        float[] parameters = Values(MiniParameters, seed: 3);
        string path = _temp.File("mini.safetensors");
        Checkpoint.Save(path, Mini, parameters, Values(MiniParameters, seed: 4), new TrainingState(3, 1500, 0.005f, 42));

        // Take the file apart by hand rather than with the reader under test.
        byte[] file = File.ReadAllBytes(path);
        int n = (int)BitConverter.ToUInt64(file, 0);
        using var json = JsonDocument.Parse(Encoding.UTF8.GetString(file, 8, n));
        var entries = json.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__").ToList();
        var expectedNames = MiniStateDict.Select(p => p.Name).Concat(MiniStateDict.Select(p => "momentum." + p.Name));
        Assert.Equal(expectedNames, entries.Select(e => e.Name));

        long offset = 0;
        foreach (var (entry, i) in entries.Select((e, i) => (e, i)))
        {
            long[] shape = MiniStateDict[i % 16].Shape;
            Assert.Equal("F32", entry.Value.GetProperty("dtype").GetString());
            Assert.Equal(shape, entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
            long bytes = 4 * shape.Aggregate(1L, (a, b) => a * b);
            Assert.Equal([offset, offset + bytes], entry.Value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()));
            offset += bytes;
        }
        Assert.Equal(8 + n + 2 * 4 * (long)MiniParameters, file.Length);

        // conv1.bias is the 32 floats after conv1.weight's 288.
        byte[] conv1Bias = parameters.Skip(288).Take(32).SelectMany(BitConverter.GetBytes).ToArray();
        Assert.Equal(conv1Bias, file.Skip(8 + n + 288 * 4).Take(32 * 4));

        var metadata = json.RootElement.GetProperty("__metadata__");
        Assert.Equal("pt", metadata.GetProperty("format").GetString());
        Assert.Equal("MiniAlexNet", metadata.GetProperty("netgen.network").GetString());
        Assert.Equal("3", metadata.GetProperty("epoch").GetString());
        Assert.Equal("1500", metadata.GetProperty("step").GetString());
        Assert.Equal("0.005", metadata.GetProperty("learning_rate").GetString());
        Assert.Equal("42", metadata.GetProperty("seed").GetString());
    }

    [Fact]
    public void LoadsAFileShapedLikePyTorchs()
    {
        // safetensors.torch.save_file(model.state_dict()) sorts the data by name and writes only "format".
        float[] expected = Enumerable.Range(0, MiniParameters).Select(i => (float)i).ToArray();
        var tensors = MiniStateDict
            .Select((p, i) => (p.Name, p.Shape, Start: MiniStateDict.Take(i).Sum(q => q.Shape.Aggregate(1L, (a, b) => a * b))))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => SafeTensor.Float32(p.Name, expected.Skip((int)p.Start).Take((int)p.Shape.Aggregate(1L, (a, b) => a * b)).ToArray(), p.Shape));
        string path = _temp.File("pytorch.safetensors");
        SafeTensorsFile.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });

        var loaded = Checkpoint.Load(path, Mini);

        Assert.Equal(expected, loaded.Parameters);
        Assert.Null(loaded.Momentum);
        Assert.Equal(new TrainingState(0, 0, 0.01f, 0), loaded.State);
        Assert.Equal("pt", loaded.Metadata["format"]);
    }

    [Fact]
    public void LayersWithoutBiasRoundTripAndLoadPyTorchsStateDict()
    {
        var info = Tests.Kernels.NoBiasProbe.Description;
        float[] parameters = Values(678, seed: 8);
        string path = _temp.File("nobias.safetensors");
        Checkpoint.Save(path, info, parameters, Values(678, seed: 9), new TrainingState(2, 20, 0.01f, 4));
        var loaded = Checkpoint.Load(path, info);
        Assert.Equal(Bits(parameters), Bits(loaded.Parameters));
        Assert.DoesNotContain(SafeTensorsFile.Read(path).Tensors, t => t.Name.EndsWith("conv1.bias", StringComparison.Ordinal));

        // PyTorch's state dict of the same model, conv*(bias=False) and fc1(bias=False): no bias tensor for them, sorted by name.
        (string Name, long[] Shape, int Start)[] stateDict =
        [
            ("conv1.weight", [6, 2, 3, 3], 0), ("conv2.weight", [4, 6, 3, 3], 108), ("conv3.weight", [4, 4, 1, 1], 324),
            ("fc1.weight", [5, 64], 340), ("fc2.bias", [3], 675), ("fc2.weight", [3, 5], 660),
        ];
        float[] expected = Enumerable.Range(0, 678).Select(i => (float)i).ToArray();
        string pytorch = _temp.File("nobias-pytorch.safetensors");
        SafeTensorsFile.Write(pytorch, stateDict.Select(t => SafeTensor.Float32(t.Name,
            expected.Skip(t.Start).Take((int)t.Shape.Aggregate(1L, (a, b) => a * b)).ToArray(), t.Shape)), new Dictionary<string, string> { ["format"] = "pt" });
        Assert.Equal(expected, Checkpoint.Load(pytorch, info).Parameters);

        // A state dict that has the bias the layer was declared without does not load.
        string biased = Rewrite(pytorch, tensors => tensors.Append(SafeTensor.Float32("conv1.bias", new float[6], 6)));
        AssertInvalid(() => Checkpoint.Load(biased, info), biased, "conv1.bias");
    }

    [Fact]
    public void RefusesARenamedTensor()
    {
        string path = Rewrite(Saved(momentum: false), tensors => tensors.Select(t => t.Name == "conv1.weight" ? Renamed(t, "conv1.weights") : t));
        AssertInvalid(() => Checkpoint.Load(path, Mini), path,
            "has no tensor 'conv1.weight', which MiniAlexNet needs", "16 tensors: conv1.weights, conv1.bias");
    }

    [Fact]
    public void RefusesAWrongShapeNamingBothShapes()
    {
        string path = _temp.File("alexnet.safetensors");
        SafeTensorsFile.Write(path, [SafeTensor.Float32("conv1.weight", new float[96 * 3 * 5 * 5], 96, 3, 5, 5)]);
        AssertInvalid(() => Checkpoint.Load(path, AlexNet.Description), path,
            "conv1.weight is (96, 3, 5, 5) in the file but (96, 3, 11, 11) in AlexNet");
    }

    [Fact]
    public void RefusesAWrongDType()
    {
        string path = _temp.File("alexnet.safetensors");
        SafeTensorsFile.Write(path, [SafeTensor.Int32("conv1.weight", new int[96 * 3 * 11 * 11], 96, 3, 11, 11)]);
        AssertInvalid(() => Checkpoint.Load(path, AlexNet.Description), path, "conv1.weight is I32 in the file but F32 in AlexNet");
    }

    [Fact]
    public void RefusesATensorTheNetworkDoesNotHave()
    {
        string path = Rewrite(Saved(momentum: true), tensors => tensors.Append(SafeTensor.Float32("fc9.weight", [1f, 2f], 2)));
        AssertInvalid(() => Checkpoint.Load(path, Mini), path, "has tensor 'fc9.weight' (F32 (2))", "neither a parameter of MiniAlexNet nor its momentum");
    }

    [Fact]
    public void RefusesPartialMomentum()
    {
        string path = Rewrite(Saved(momentum: true), tensors => tensors.Where(t => !t.Name.StartsWith("momentum.", StringComparison.Ordinal) || t.Name == "momentum.conv1.weight"));
        AssertInvalid(() => Checkpoint.Load(path, Mini), path,
            "has momentum for 1 of MiniAlexNet's 16 parameters but not for 'conv1.bias'");
    }

    [Theory]
    [InlineData("epoch", "three")]
    [InlineData("step", "1.5")]
    [InlineData("learning_rate", "fast")]
    [InlineData("seed", "-1")]
    public void RefusesMalformedMetadataNamingTheKey(string key, string value)
    {
        string path = Rewrite(Saved(momentum: false), tensors => tensors, new Dictionary<string, string> { [key] = value });
        AssertInvalid(() => Checkpoint.Load(path, Mini), path, $"metadata '{key}' is '{value}'");
    }

    [Fact]
    public void RefusesATruncatedCheckpoint()
    {
        string path = Saved(momentum: true);
        byte[] whole = File.ReadAllBytes(path);
        File.WriteAllBytes(path, whole[..^10]);
        AssertInvalid(() => Checkpoint.Load(path, Mini), path, $"truncated: tensor 'momentum.fc8.bias' ends at byte {whole.Length} but the file has {whole.Length - 10}");
    }

    [Fact]
    public void SaveChecksItsArguments()
    {
        string path = _temp.File("bad.safetensors");
        var state = TrainingState.Initial;
        Assert.Throws<ArgumentException>(() => Checkpoint.Save(path, Mini, new float[10], null, state));
        Assert.Throws<ArgumentException>(() => Checkpoint.Save(path, Mini, new float[MiniParameters], new float[697_481], state));
        Assert.Throws<ArgumentException>(() => Checkpoint.Save(path, Mini, new float[MiniParameters], null, state, new Dictionary<string, string> { ["epoch"] = "9" }));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void AlexNetRoundTripIsBitExact()
    {
        // 61 million parameters, fc6's 37.7 million in one tensor: the sizes that matter for streaming.
        var info = AlexNet.Description;
        float[] parameters = new float[info.ParameterCount];
        uint x = 12345;
        for (int i = 0; i < parameters.Length; i++)
            parameters[i] = BitConverter.Int32BitsToSingle((int)(x = x * 1664525 + 1013904223)); // any bits, NaNs included
        string path = _temp.File("alexnet.safetensors");

        Checkpoint.Save(path, info, parameters, null, new TrainingState(90, 450_000, 1e-5f, 7));
        var loaded = Checkpoint.Load(path, info);

        Assert.True(MemoryMarshal.Cast<float, int>(parameters).SequenceEqual(MemoryMarshal.Cast<float, int>(loaded.Parameters)));
        Assert.Null(loaded.Momentum);
        Assert.Equal(new TrainingState(90, 450_000, 1e-5f, 7), loaded.State);
    }

    /// <summary>A valid MiniAlexNet checkpoint.</summary>
    private string Saved(bool momentum)
    {
        string path = _temp.File($"saved-{Guid.NewGuid():N}.safetensors");
        Checkpoint.Save(path, Mini, Values(MiniParameters, seed: 5), momentum ? Values(MiniParameters, seed: 6) : null, new TrainingState(1, 2, 0.01f, 3));
        return path;
    }

    /// <summary>The file at <paramref name="path"/> with its tensors (and metadata) edited, written back in place.</summary>
    private static string Rewrite(string path, Func<IEnumerable<SafeTensor>, IEnumerable<SafeTensor>> edit, Dictionary<string, string>? metadata = null)
    {
        var file = SafeTensorsFile.Read(path);
        var merged = file.Metadata.ToDictionary();
        foreach (var (key, value) in metadata ?? [])
            merged[key] = value;
        SafeTensorsFile.Write(path, edit(file.Tensors).ToList(), merged);
        return path;
    }

    /// <summary>The file at <paramref name="source"/> with its tensors edited, written to <paramref name="path"/>.</summary>
    private static string Copy(string source, string path, Func<IEnumerable<SafeTensor>, IEnumerable<SafeTensor>> edit)
    {
        var file = SafeTensorsFile.Read(source);
        SafeTensorsFile.Write(path, edit(file.Tensors).ToList(), file.Metadata);
        return path;
    }

    private static SafeTensor Renamed(SafeTensor t, string name) => new(name, t.DType, [.. t.Shape], t.Bytes);

    private static void AssertInvalid(Action load, string path, params string[] problems)
    {
        var e = Assert.Throws<InvalidDataException>(load);
        Assert.StartsWith(path + ": ", e.Message);
        foreach (string problem in problems)
            Assert.Contains(problem, e.Message);
    }

    /// <summary>Random values with the awkward ones (NaN with a payload, -0, subnormals, infinities) at both ends.</summary>
    private static float[] Values(int count, int seed)
    {
        float[] values = Infrastructure.Numbers.Uniform(count, seed);
        float[] special = [BitConverter.Int32BitsToSingle(0x7FC0BEEF), -0f, float.Epsilon, -1e-39f, float.PositiveInfinity, float.NegativeInfinity];
        special.CopyTo(values, 0);
        special.CopyTo(values, count - special.Length);
        return values;
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}
