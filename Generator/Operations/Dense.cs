using NetGen.Generator.Attributes;
using NetGen.Generator.Emit;
using NetGen.Generator.Emit.Kernels;
using NetGen.Generator.Model;
using NetGen.Generator.Emit.Interchange;

namespace NetGen.Generator.Operations;

/// <summary>
/// A fully connected layer with bias (unless <c>Bias = false</c>): weight (units, inputs), the input flattened in NCHW order as
/// PyTorch flattens it. One thread per output value forward, one per value written backward; on
/// the CPU backend a packed matrix product (NetGen.Cpu.CpuDense).
/// </summary>
[ReadFrom(typeof(DenseAttribute), Example = "Dense(10)")]
internal sealed record Dense(int Units, Learning Learn, LocationInfo? Location) : LearnableOperation(Learn, Location)
{
    /// <summary>Weights each weight-gradient thread computes: a dense layer has millions of weights and little work in each.</summary>
    public const int WeightsPerThread = 64;

    public static Operation Read(OperationReading r)
    {
        var dense = new DenseAttribute(0);
        return new Dense(r.Args.Int(0, "units", dense.Units), Learning.Read(r.Args, dense, r.Init), r.Location);
    }

    public override string Kind => "dense";
    public override string AttributeName => "Dense";
    public override int Outputs => Units;
    public override string OutputsName => "units";
    public override LearnableOperation WithOutputs(int outputs) => this with { Units = outputs };
    public override string Describe() => $"dense {Units}" + BiasAndInputSuffix;
    public override bool Flattens => true;
    public override bool GathersInput => true;

    public override void Check(RangeCheck check, string who)
    {
        check.AtLeast(Location, who, "units", Units, 1);
        Learn.Check(check, Location, who);
    }

    public override Shape? Infer(ShapeRule rule) =>
        rule.SplitsOverColumns(Units, "units") && rule.Fits(rule.Input.Size * Units, "weight") ? new Shape(Units, 1, 1) : null;

    protected override EquatableArray<int> WeightDimensions(Shape input) => new[] { Units, (int)input.Size }.ToEquatableArray();

    public override long MultiplyAdds(Shape input, Shape output) => input.Size * Units;

    /// <summary>A dot product of the flattened input with one row of the weight.</summary>
    public override void WriteKernel(KernelWriting k)
    {
        var w = k.W;
        long inputs = k.Input.Size;
        int units = k.Output.Channels;
        string unit = IndexMath.Declare(w, "unit", IndexMath.Mod("index", units));
        string n = IndexMath.Declare(w, "n", IndexMath.Over("index", units));
        string inputRow = IndexMath.Declare(w, "inputRow", IndexMath.Times(n, inputs));
        string weightRow = IndexMath.Declare(w, "weightRow", IndexMath.Times(unit, inputs));
        w.Line("float value = 0f;");
        Loop.Statement(w, "i", inputs, i => $"value += input[{IndexMath.Plus(inputRow, i)}] * weight[{IndexMath.Plus(weightRow, i)}];");
        if (HasBias)
            w.Line($"value += bias[{unit}]; // after the products, which a large bias would otherwise round away");
    }

    public override long TensorGradientThreads(int tensor, OpModel op) => tensor == WeightTensor
        ? op.Output.Channels * ((op.Input.Size + WeightsPerThread - 1) / WeightsPerThread)
        : op.Output.Channels;

    public override string TensorGradientIndexDoc(int tensor) =>
        tensor == WeightTensor ? $"One thread per run of {WeightsPerThread} weights of a unit's row." : base.TensorGradientIndexDoc(tensor);

    public override void WriteTensorGradient(int tensor, KernelWriting k)
    {
        var w = k.W;
        long inputs = k.Input.Size;
        int units = k.Output.Channels;
        if (tensor == BiasTensor)
        {
            w.Line("float sum = 0f;");
            w.Line("for (int n = 0; n < batch; n++)");
            w.Line($"    sum += delta[{IndexMath.Plus(IndexMath.Times("n", units), "index")}];");
            w.Line("biasGradient[index] += sum;");
            return;
        }
        // Each weight (unit, i) is the outer product of output gradient and input, summed over the batch.
        long runs = (inputs + WeightsPerThread - 1) / WeightsPerThread;
        string unit = IndexMath.Declare(w, "unit", IndexMath.Over("index", runs));
        string first = IndexMath.Declare(w, "first", IndexMath.Times(IndexMath.Mod("index", runs), WeightsPerThread));
        // One run (a layer of at most 64 inputs) starts at 0 and ends at the literal input count.
        using var loop = IndexMath.Literal(first) is { } start
            ? Loop.For(w, "i", System.Math.Min(start + WeightsPerThread, inputs) - start, first)
            : Loop.Over(w, "i", first, IndexMath.Declare(w, "end", $"{first} + {WeightsPerThread} < {Format.Int(inputs)} ? {first} + {WeightsPerThread} : {Format.Int(inputs)}"));
        string i = loop.Variable;
        w.Line("float sum = 0f;");
        w.Line("for (int n = 0; n < batch; n++)");
        w.Line($"    sum += delta[{IndexMath.Plus(IndexMath.Times("n", units), unit)}] * input[{IndexMath.Plus(IndexMath.Times("n", inputs), i)}];");
        w.Line($"weightGradient[{IndexMath.Plus(IndexMath.Times(unit, inputs), i)}] += sum;");
    }

    /// <summary>One thread per input value: the output gradients through its column of the weight.</summary>
    public override void WriteInputGradient(KernelWriting k)
    {
        var w = k.W;
        long inputs = k.Input.Size;
        int units = k.Output.Channels;
        string i = IndexMath.Declare(w, "i", IndexMath.Mod("index", inputs));
        string deltaRow = IndexMath.Declare(w, "deltaRow", IndexMath.Times(IndexMath.Over("index", inputs), units));
        w.Line("float gradient = 0f;");
        Loop.Statement(w, "unit", units, unit => $"gradient += delta[{IndexMath.Plus(deltaRow, unit)}] * weight[{IndexMath.Plus(IndexMath.Times(unit, inputs), i)}];");
    }

    /// <summary>The library's tiled product <c>X W^T</c>, bias and activation in its store.</summary>
    public override string? LibraryForward(LibraryStep s) =>
        $"{LibraryStep.Library}.DenseForward<{s.Activation}>({LibraryStep.Stream}, {s.InputField}, {s.Tensors[WeightTensor]}, {(HasBias ? s.Tensors[BiasTensor] : "default")}, {s.OutputField}, BatchSize, {s.Input.Size}, {s.Output.Size});";

    /// <summary>The weight gradient as the library's tiled product <c>dY^T X</c>; the bias's as each unit's sum over the batch.</summary>
    public override string? LibraryTensorGradient(int tensor, LibraryStep s) => tensor == WeightTensor
        ? $"{LibraryStep.Library}.DenseWeightGradient({LibraryStep.Stream}, {s.InputField}, {s.Delta}, {s.TensorGradient}, default, BatchSize, {s.Input.Size}, {s.Output.Size});"
        : s.SumOfDelta(1);

    /// <summary>The input gradient as the library's tiled product <c>dY W</c>.</summary>
    public override string? LibraryInputGradient(LibraryStep s) =>
        $"{LibraryStep.Library}.DenseInputGradient({LibraryStep.Stream}, {s.Delta}, {s.Tensors[WeightTensor]}, {s.InputGradient}, BatchSize, {s.Input.Size}, {s.Output.Size}, {s.Gate});";

    public override string? CpuGeometry(string method, Shape input, Shape output, int groups, int columnChannels) => null; // the call carries its two sizes

    public override void WriteCpuForward(CpuStep s) =>
        s.W.Line($"CpuDense.Forward({s.Input.Size}, {s.Output.Size}, {s.InputField}, {s.Tensors[WeightTensor]}, {(HasBias ? s.Tensors[BiasTensor] : "default")}, {s.OutputField}, BatchSize, relu: {s.Relu});");

    public override void WriteCpuBackward(CpuStep s) =>
        s.W.Line($"CpuDense.Backward({s.Input.Size}, {s.Output.Size}, {s.InputField}, {s.Tensors[WeightTensor]}, {s.Delta}, {s.TensorGradients[WeightTensor]}, {(HasBias ? s.TensorGradients[BiasTensor] : "default")}, {s.InputGradient}, BatchSize);");

    /// <summary>ONNX's Gemm with the weight transposed, as PyTorch's Linear exports; a spatial input is flattened first.</summary>
    public override void WriteOnnx(OnnxWriting o)
    {
        if (!o.Flat)
            o.Flatten();
        string[] inputs = Learn.Bias ? [o.Current, o.Tensor("weight"), o.Tensor("bias")] : [o.Current, o.Tensor("weight")];
        o.Node("Gemm", Kind, inputs, OnnxWriting.Int("transB", 1));
    }

    /// <summary>An <c>nn.Linear</c> as the layer's module, reading the input flattened in NCHW order.</summary>
    public override void WritePyTorch(PyTorchWriting p)
    {
        if (!p.Flat)
            p.Flatten();
        p.SetLayerModule($"nn.Linear({p.Op.Input.Size}, {Units}, bias={PyTorchWriting.Bool(Learn.Bias)})");
        p.Assign($"{p.LayerModule}(h)", Describe());
    }
}
