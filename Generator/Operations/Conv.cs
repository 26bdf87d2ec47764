using NetGen.Generator.Attributes;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Emit.Kernels;
using NetGen.Generator.Model;

namespace NetGen.Generator.Operations;

/// <summary>
/// A 2-D convolution with bias: weight (filters, channels / groups, kernel, kernel) as in PyTorch,
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
            Learn: Learning.Read(r.Args, conv),
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
        + Format.RoundingSuffix(Round);

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

    /// <summary>Direct convolution, the bias added after the products.</summary>
    public override void WriteKernel(KernelWriting k)
    {
        var w = k.W;
        Shape input = k.Input, output = k.Output;
        int perGroup = input.Channels / Groups;
        KernelEmitter.Decompose(w, output, "oc", "oy", "ox");
        string channel = "c";
        if (Groups > 1)
        {
            w.Line($"int firstChannel = oc / {Filters / Groups} * {perGroup}; // first input channel of oc's group");
            channel = "firstChannel + c";
        }
        KernelEmitter.BeginCompensatedSum(w, "value");
        using (w.Block($"for (int c = 0; c < {perGroup}; c++)"))
        {
            w.Line("float partial = 0f; // this channel's window");
            w.Line($"int inputPlane = (n * {input.Channels} + {channel}) * {input.Height};");
            w.Line($"int weightPlane = (oc * {perGroup} + c) * {Kernel};");
            using (KernelEmitter.WindowAxis(w, 'y', input.Height, output.Height, Kernel, Stride, Pad))
            {
                w.Line($"int inputRow = (inputPlane + iy) * {input.Width};");
                w.Line($"int weightRow = (weightPlane + ky) * {Kernel};");
                using (KernelEmitter.WindowAxis(w, 'x', input.Width, output.Width, Kernel, Stride, Pad))
                    w.Line("partial += input[inputRow + ix] * weight[weightRow + kx];");
            }
            KernelEmitter.AddCompensated(w, "value", "partial");
        }
        KernelEmitter.EndCompensatedSum(w, "value");
        w.Line("value += bias[oc]; // last: a bias of 1 would swallow small products, and ties in a max pool after it would follow");
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
            w.Line($"int deltaPlane = (n * {output.Channels} + index) * {plane};");
            w.Line($"for (int p = 0; p < {plane}; p++)");
            w.Line("    sum += delta[deltaPlane + p];");
        }
        w.Line("biasGradient[index] += sum;");
    }

    /// <summary>One thread per weight (f, c, ky, kx): output gradient times the input it multiplied, over the batch and every output position.</summary>
    private void WriteWeightGradient(KernelWriting k)
    {
        var w = k.W;
        Shape input = k.Input, output = k.Output;
        int perGroup = input.Channels / Groups;
        w.Line($"int kx = index % {Kernel};");
        w.Line($"int ky = index / {Kernel} % {Kernel};");
        w.Line($"int c = index / {Kernel * Kernel} % {perGroup};");
        w.Line($"int f = index / {Kernel * Kernel * perGroup};");
        if (Groups > 1)
            w.Line($"int inputChannel = f / {Filters / Groups} * {perGroup} + c; // c within f's group");
        w.Line("float sum = 0f;");
        using (w.Block("for (int n = 0; n < batch; n++)"))
        {
            w.Line($"int deltaPlane = (n * {output.Channels} + f) * {output.Height};");
            w.Line($"int inputPlane = (n * {input.Channels} + {(Groups > 1 ? "inputChannel" : "c")}) * {input.Height};");
            using (KernelEmitter.WindowAxis(w, 'y', input.Height, output.Height, Kernel, Stride, Pad, overOutputs: true))
            {
                w.Line($"int deltaRow = (deltaPlane + oy) * {output.Width};");
                w.Line($"int inputRow = (inputPlane + iy) * {input.Width};");
                using (KernelEmitter.WindowAxis(w, 'x', input.Width, output.Width, Kernel, Stride, Pad, overOutputs: true))
                    w.Line("sum += delta[deltaRow + ox] * input[inputRow + ix];");
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
        KernelEmitter.Decompose(w, input, "c", "iy", "ix");
        string filters = "int f = 0; f < " + Filters + "; f++";
        string weightChannel = "c";
        if (Groups > 1)
        {
            w.Line($"int firstFilter = c / {perGroup} * {perGroupFilters}; // the filters of c's group");
            w.Line($"int weightChannel = c % {perGroup};");
            filters = $"int f = firstFilter; f < firstFilter + {perGroupFilters}; f++";
            weightChannel = "weightChannel";
        }
        w.Line("float gradient = 0f;");
        using (w.Block($"for ({filters})"))
        {
            w.Line($"int deltaPlane = (n * {output.Channels} + f) * {output.Height};");
            w.Line($"int weightPlane = (f * {perGroup} + {weightChannel}) * {Kernel};");
            using (KernelEmitter.OutputsTouching(w, 'y', input.Height, output.Height, Kernel, Stride, Pad))
            {
                w.Line($"int deltaRow = (deltaPlane + oy) * {output.Width};");
                w.Line($"int weightRow = (weightPlane + ky) * {Kernel};");
                using (KernelEmitter.OutputsTouching(w, 'x', input.Width, output.Width, Kernel, Stride, Pad))
                    w.Line("gradient += delta[deltaRow + ox] * weight[weightRow + kx];");
            }
        }
    }

    public override string? CpuGeometry(string method, Shape input, Shape output, int groups, int columnChannels) =>
        $"public static readonly ConvGeometry {method} = new(Channels: {input.Channels}, Height: {input.Height}, Width: {input.Width}, Filters: {output.Channels}, Kernel: {Kernel}, Stride: {Stride}, Pad: {Pad}, Groups: {groups}, OutHeight: {output.Height}, OutWidth: {output.Width});";

    public override void WriteCpuForward(CpuStep s) =>
        s.W.Line($"CpuConv.Forward({s.GeometryField}, {s.InputField}, {s.Tensors[WeightTensor]}, {s.Tensors[BiasTensor]}, {s.OutputField}, BatchSize, relu: {s.Relu});");

    public override void WriteCpuBackward(CpuStep s) =>
        s.W.Line($"CpuConv.Backward({s.GeometryField}, {s.InputField}, {s.Tensors[WeightTensor]}, {s.Delta}, {s.TensorGradients[WeightTensor]}, {s.TensorGradients[BiasTensor]}, {s.InputGradient}, BatchSize);");
}
