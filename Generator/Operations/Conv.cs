using NetGen.Generator.Attributes;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Emit;
using NetGen.Generator.Emit.Kernels;
using NetGen.Generator.Model;
using NetGen.Generator.Emit.Interchange;

namespace NetGen.Generator.Operations;

/// <summary>
/// A 2-D convolution with bias (unless <c>Bias = false</c>): weight (filters, channels / groups, kernel, kernel) as in PyTorch,
/// filter f reading only the input channels of its group. Every kernel is a gather with one thread
/// per value it writes, so no two threads add to the same place and sums come out in the same order
/// on every device. On the CPU backend it is a packed matrix product (NetGen.Cpu.CpuConv).
/// </summary>
[ReadFrom(typeof(ConvAttribute), Example = "Conv(96, Kernel = 11)")]
internal sealed record Conv(int Filters, int Kernel, int Stride, int Pad, int Groups, Rounding Round, Learning Learn, LocationInfo? Location)
    : LearnableOperation(Learn, Location)
{
    public static Operation Read(OperationReading r)
    {
        var conv = new ConvAttribute(0);
        return new Conv(
            Filters: r.Args.Int(0, "filters", conv.Filters),
            Kernel: r.Args.RequiredInt(nameof(conv.Kernel), conv.Kernel, "the side of its square kernel", example: 3),
            Stride: r.Args.Int(nameof(conv.Stride), conv.Stride),
            Pad: r.Args.Int(nameof(conv.Pad), conv.Pad),
            Groups: r.Args.Int(nameof(conv.Groups), conv.Groups),
            Round: (Rounding)r.Args.Int(nameof(conv.Round), (int)r.Round),
            Learn: Learning.Read(r.Args, conv, r.Init),
            Location: r.Location);
    }

    public override string Kind => "conv";
    public override string AttributeName => "Conv";
    public override bool IsSpatial => true;
    public override int Outputs => Filters;
    public override string OutputsName => "filters";
    public override LearnableOperation WithOutputs(int outputs) => this with { Filters = outputs };

    public override string Describe() =>
        $"conv {Filters}, {Kernel}x{Kernel}"
        + (Stride != 1 ? $", stride {Stride}" : "")
        + (Pad != 0 ? $", pad {Pad}" : "")
        + (Groups != 1 ? $", groups {Groups}" : "")
        + Format.RoundingSuffix(Round)
        + BiasAndInputSuffix;

    public override void Check(RangeCheck check, string who)
    {
        check.AtLeast(Location, who, "filters", Filters, 1);
        check.AtLeast(Location, who, nameof(ConvAttribute.Kernel), Kernel, 1);
        check.AtLeast(Location, who, nameof(ConvAttribute.Stride), Stride, 1);
        check.AtLeast(Location, who, nameof(ConvAttribute.Pad), Pad, 0);
        check.AtLeast(Location, who, nameof(ConvAttribute.Groups), Groups, 1);
        check.Rounding(Location, who, Round);
        Learn.Check(check, Location, who);
    }

    public override Shape? Infer(ShapeRule rule)
    {
        var input = rule.Input;
        if (!GroupsSplitOverColumns(rule))
            return null;
        bool ok = GroupsDivide(rule, input.Channels, "input channels")
            && GroupsDivide(rule, Filters, "filters")
            & rule.SplitsOverColumns(Filters, "filters");
        var size = rule.Window("kernel", Kernel, Stride, Pad, Round);
        if (!ok || size is not { } hw || !rule.Fits((long)Filters * (input.Channels / Groups) * Kernel * Kernel, "weight"))
            return null;
        return new Shape(Filters, hw.Height, hw.Width);
    }

    protected override EquatableArray<int> WeightDimensions(Shape input) => new[] { Filters, input.Channels / Groups, Kernel, Kernel }.ToEquatableArray();

    public override long MultiplyAdds(Shape input, Shape output) => output.Size * (input.Channels / Groups) * Kernel * Kernel;

    private bool GroupsDivide(ShapeRule rule, int count, string countName)
    {
        if (count % Groups == 0)
            return true;
        rule.Report(DiagnosticDescriptors.GroupsMismatch, rule.Who, Groups, count, countName, Format.Decimal((double)count / Groups), rule.Input.Channels, Filters);
        return false;
    }

    /// <summary>
    /// NG0020: each column (device) must hold whole groups, so it never needs another column's
    /// channels for a grouped convolution; the first layer reads the whole image on every column.
    /// </summary>
    private bool GroupsSplitOverColumns(ShapeRule rule)
    {
        int columns = rule.Columns;
        if (columns == 1 || Groups == 1 || (!rule.FirstLayer && Groups % columns == 0))
            return true;
        string why = rule.FirstLayer
            ? "the first layer reads the whole image on every column, so its groups would be computed twice"
            : $"{Groups} groups do not split evenly into {columns} columns ({Groups} / {columns} = {Format.Decimal((double)Groups / columns)})";
        rule.Report(DiagnosticDescriptors.GroupsSplitColumns, rule.Who, Groups, columns, why, rule.FirstLayer ? "" : $" or a multiple of {columns}");
        return false;
    }

    public override bool GathersInput => Groups == 1;

    public override int GroupsInColumn(bool slicedInput, int devices) => slicedInput ? Groups / devices : Groups;

    /// <summary>Direct convolution, the bias (if any) added after the products.</summary>
    public override void WriteKernel(KernelWriting k)
    {
        var w = k.W;
        Shape input = k.Input, output = k.Output;
        int perGroup = input.Channels / Groups;
        var at = KernelEmitter.Decompose(w, output, "oc", "oy", "ox");
        string firstChannel = Groups > 1
            ? IndexMath.Declare(w, "firstChannel", IndexMath.Times(IndexMath.Over(at.C, Filters / Groups), perGroup), "first input channel of oc's group")
            : "0";
        KernelEmitter.BeginCompensatedSum(w, "value");
        using (var c = Loop.For(w, "c", perGroup))
        {
            w.Line("float partial = 0f; // this channel's window");
            string inputPlane = IndexMath.Declare(w, "inputPlane", IndexMath.Times(IndexMath.Plus(IndexMath.Times(at.N, input.Channels), IndexMath.Plus(firstChannel, c.Variable)), input.Height));
            string weightPlane = IndexMath.Declare(w, "weightPlane", IndexMath.Times(IndexMath.Plus(IndexMath.Times(at.C, perGroup), c.Variable), Kernel));
            using (var y = KernelEmitter.WindowAxis(w, 'y', input.Height, output.Height, Kernel, Stride, Pad, at.Y))
            {
                string inputRow = IndexMath.Declare(w, "inputRow", IndexMath.Times(IndexMath.Plus(inputPlane, y.I), input.Width));
                string weightRow = IndexMath.Declare(w, "weightRow", IndexMath.Times(IndexMath.Plus(weightPlane, y.K), Kernel));
                using (var x = KernelEmitter.WindowAxis(w, 'x', input.Width, output.Width, Kernel, Stride, Pad, at.X))
                    w.Line($"partial += input[{IndexMath.Plus(inputRow, x.I)}] * weight[{IndexMath.Plus(weightRow, x.K)}];");
            }
            KernelEmitter.AddCompensated(w, "value", "partial");
        }
        KernelEmitter.EndCompensatedSum(w, "value");
        if (HasBias)
            w.Line($"value += bias[{at.C}]; // last: a bias of 1 would swallow small products, and ties in a max pool after it would follow");
    }

    public override long TensorGradientThreads(int tensor, OpModel op) =>
        tensor == WeightTensor ? Tensors(op.Input, op.Output)[WeightTensor].Count : op.Output.Channels;

    public override void WriteTensorGradient(int tensor, KernelWriting k)
    {
        if (tensor == WeightTensor)
            WriteWeightGradient(k);
        else
            WriteBiasGradient(k);
    }

    /// <summary>One thread per filter: the sum of its output gradient over the batch and the plane.</summary>
    private static void WriteBiasGradient(KernelWriting k)
    {
        var w = k.W;
        Shape output = k.Output;
        int plane = output.Height * output.Width;
        w.Line("float sum = 0f;");
        using (w.Block("for (int n = 0; n < batch; n++)"))
        {
            string deltaPlane = IndexMath.Declare(w, "deltaPlane", IndexMath.Times(IndexMath.Plus(IndexMath.Times("n", output.Channels), "index"), plane));
            Loop.Statement(w, "p", plane, p => $"sum += delta[{IndexMath.Plus(deltaPlane, p)}];");
        }
        w.Line("biasGradient[index] += sum;");
    }

    /// <summary>One thread per weight (f, c, ky, kx): output gradient times the input it multiplied, over the batch and every output position.</summary>
    private void WriteWeightGradient(KernelWriting k)
    {
        var w = k.W;
        Shape input = k.Input, output = k.Output;
        int perGroup = input.Channels / Groups;
        string kx = IndexMath.Declare(w, "kx", IndexMath.Mod("index", Kernel));
        string ky = IndexMath.Declare(w, "ky", IndexMath.Mod(IndexMath.Over("index", Kernel), Kernel));
        string c = IndexMath.Declare(w, "c", IndexMath.Mod(IndexMath.Over("index", Kernel * Kernel), perGroup));
        string f = IndexMath.Declare(w, "f", IndexMath.Over("index", Kernel * Kernel * perGroup));
        string inputChannel = Groups > 1
            ? IndexMath.Declare(w, "inputChannel", IndexMath.Plus(IndexMath.Times(IndexMath.Over(f, Filters / Groups), perGroup), c), "c within f's group")
            : c;
        w.Line("float sum = 0f;");
        using (w.Block("for (int n = 0; n < batch; n++)"))
        {
            string deltaPlane = IndexMath.Declare(w, "deltaPlane", IndexMath.Times(IndexMath.Plus(IndexMath.Times("n", output.Channels), f), output.Height));
            string inputPlane = IndexMath.Declare(w, "inputPlane", IndexMath.Times(IndexMath.Plus(IndexMath.Times("n", input.Channels), inputChannel), input.Height));
            using (var y = KernelEmitter.WindowAxis(w, 'y', input.Height, output.Height, Kernel, Stride, Pad, ky, overOutputs: true))
            {
                string deltaRow = IndexMath.Declare(w, "deltaRow", IndexMath.Times(IndexMath.Plus(deltaPlane, y.O), output.Width));
                string inputRow = IndexMath.Declare(w, "inputRow", IndexMath.Times(IndexMath.Plus(inputPlane, y.I), input.Width));
                using (var x = KernelEmitter.WindowAxis(w, 'x', input.Width, output.Width, Kernel, Stride, Pad, kx, overOutputs: true))
                    w.Line($"sum += delta[{IndexMath.Plus(deltaRow, x.O)}] * input[{IndexMath.Plus(inputRow, x.I)}];");
            }
        }
        w.Line("weightGradient[index] += sum;");
    }

    /// <summary>One thread per input value: every output it fed, through the weight that fed it.</summary>
    public override void WriteInputGradient(KernelWriting k)
    {
        var w = k.W;
        Shape input = k.Input, output = k.Output;
        int perGroup = input.Channels / Groups, perGroupFilters = Filters / Groups;
        var at = KernelEmitter.Decompose(w, input, "c", "iy", "ix");
        string firstFilter = "0", weightChannel = at.C;
        if (Groups > 1)
        {
            firstFilter = IndexMath.Declare(w, "firstFilter", IndexMath.Times(IndexMath.Over(at.C, perGroup), perGroupFilters), "the filters of c's group");
            weightChannel = IndexMath.Declare(w, "weightChannel", IndexMath.Mod(at.C, perGroup));
        }
        w.Line("float gradient = 0f;");
        using (var f = Loop.For(w, "f", perGroupFilters, firstFilter))
        {
            string deltaPlane = IndexMath.Declare(w, "deltaPlane", IndexMath.Times(IndexMath.Plus(IndexMath.Times(at.N, output.Channels), f.Variable), output.Height));
            string weightPlane = IndexMath.Declare(w, "weightPlane", IndexMath.Times(IndexMath.Plus(IndexMath.Times(f.Variable, perGroup), weightChannel), Kernel));
            using (var y = KernelEmitter.OutputsTouching(w, 'y', input.Height, output.Height, Kernel, Stride, Pad, at.Y))
            {
                string deltaRow = IndexMath.Declare(w, "deltaRow", IndexMath.Times(IndexMath.Plus(deltaPlane, y.O), output.Width));
                string weightRow = IndexMath.Declare(w, "weightRow", IndexMath.Times(IndexMath.Plus(weightPlane, y.K), Kernel));
                using (var x = KernelEmitter.OutputsTouching(w, 'x', input.Width, output.Width, Kernel, Stride, Pad, at.X))
                    w.Line($"gradient += delta[{IndexMath.Plus(deltaRow, x.O)}] * weight[{IndexMath.Plus(weightRow, x.K)}];");
            }
        }
    }

    /// <summary>The library's tiled product of the weights by the implicitly lowered input, bias and activation in its store, straight into NCHW.</summary>
    public override string? LibraryForward(LibraryStep s) =>
        $"{LibraryStep.Library}.ConvolutionForward<{s.Activation}>({LibraryStep.Stream}, {s.Geometry}, {s.InputField}, {s.Tensors[WeightTensor]}, {(HasBias ? s.Tensors[BiasTensor] : "default")}, {s.OutputField}, BatchSize);";

    /// <summary>The weight gradient as the library's tiled product over the implicitly lowered input (its sum split and added in order); the bias's as each plane's sum.</summary>
    public override string? LibraryTensorGradient(int tensor, LibraryStep s) => tensor == WeightTensor
        ? $"{LibraryStep.Library}.ConvolutionWeightGradient({LibraryStep.Stream}, {s.Geometry}, {s.InputField}, {s.Delta}, {s.TensorGradient}, default, BatchSize);"
        : s.SumOfDelta(s.Output.Height * s.Output.Width);

    /// <summary>The input gradient as the library's gather: the weights by channel times the output gradient's windows, straight into NCHW.</summary>
    public override string? LibraryInputGradient(LibraryStep s) =>
        $"{LibraryStep.Library}.ConvolutionInputGradient({LibraryStep.Stream}, {s.Geometry}, {s.Tensors[WeightTensor]}, {s.Delta}, {s.InputGradient}, BatchSize, {s.Gate});";

    public override string? CpuGeometry(string method, Shape input, Shape output, int groups, int columnChannels) =>
        $"public static readonly ConvGeometry {method} = new(Channels: {input.Channels}, Height: {input.Height}, Width: {input.Width}, Filters: {output.Channels}, Kernel: {Kernel}, Stride: {Stride}, Pad: {Pad}, Groups: {groups}, OutHeight: {output.Height}, OutWidth: {output.Width});";

    public override void WriteCpuForward(CpuStep s) =>
        s.W.Line($"CpuConv.Forward({s.GeometryField}, {s.InputField}, {s.Tensors[WeightTensor]}, {(HasBias ? s.Tensors[BiasTensor] : "default")}, {s.OutputField}, BatchSize, relu: {s.Relu});");

    public override void WriteCpuBackward(CpuStep s) =>
        s.W.Line($"CpuConv.Backward({s.GeometryField}, {s.InputField}, {s.Tensors[WeightTensor]}, {s.Delta}, {s.TensorGradients[WeightTensor]}, {(HasBias ? s.TensorGradients[BiasTensor] : "default")}, {s.InputGradient}, BatchSize);");

    /// <summary>The padding after the last row and column: the declared padding, or more where ceil rounding lets the last window run past it.</summary>
    private (int Bottom, int Right) EndPads(Shape input, Shape output) =>
        (OutputSize.EndPad(input.Height, output.Height, Kernel, Stride, Pad), OutputSize.EndPad(input.Width, output.Width, Kernel, Stride, Pad));

    /// <summary>ONNX's Conv, its groups as <c>group</c>; ceil rounding as more padding at the end, which adds zeros as the kernel's clipped window does.</summary>
    public override void WriteOnnx(OnnxWriting o)
    {
        var (bottom, right) = EndPads(o.Op.Input, o.Op.Output);
        string[] inputs = Learn.Bias ? [o.Current, o.Tensor("weight"), o.Tensor("bias")] : [o.Current, o.Tensor("weight")];
        o.Node("Conv", Kind, inputs, OnnxWriting.Ints("kernel_shape", Kernel, Kernel), OnnxWriting.Ints("strides", Stride, Stride),
            OnnxWriting.Ints("pads", Pad, Pad, bottom, right), OnnxWriting.Int("group", Groups));
    }

    /// <summary>An <c>nn.Conv2d</c> as the layer's module; ceil rounding as zeros padded after the last row and column first.</summary>
    public override void WritePyTorch(PyTorchWriting p)
    {
        var (bottom, right) = EndPads(p.Op.Input, p.Op.Output);
        p.SetLayerModule($"nn.Conv2d({p.Op.Input.Channels}, {Filters}, {Kernel}, stride={Stride}, padding={Pad}, groups={Groups}, bias={PyTorchWriting.Bool(Learn.Bias)})");
        if (bottom > Pad || right > Pad)
            p.Assign($"F.pad(h, (0, {right - Pad}, 0, {bottom - Pad}))", "ceil rounding: the last window runs past the padding");
        p.Assign($"{p.LayerModule}(h)", Describe());
    }
}
