using NetGen.Generator.Attributes;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Emit;
using NetGen.Generator.Emit.Kernels;
using NetGen.Generator.Model;
using NetGen.Generator.Emit.Interchange;

namespace NetGen.Generator.Operations;

/// <summary>
/// Max and average pooling, channel by channel, one thread per value written. Max: padding never
/// wins, ties go to the first element in row-major order, and the backward pass routes a window's
/// gradient to the element found again the same way. Average: padding counts as zeros in the
/// divisor, the part of a ceil-rounded window past the padding does not.
/// </summary>
[ReadFrom(typeof(MaxPoolAttribute), Example = "MaxPool(2)")]
[ReadFrom(typeof(AvgPoolAttribute), Example = "AvgPool(2)")]
internal sealed record Pool(bool IsMax, int Window, int Stride, int Pad, Rounding Round, LocationInfo? Location) : MainOperation(Location)
{
    public static Operation Read(OperationReading r)
    {
        int window = r.Args.Int(0, "window", 0);
        var pool = new MaxPoolAttribute(window);
        return new Pool(
            IsMax: r.AttributeName == nameof(MaxPoolAttribute),
            Window: window,
            Stride: r.Args.Int(nameof(pool.Stride), pool.Stride),
            Pad: r.Args.Int(nameof(pool.Pad), pool.Pad),
            Round: (Rounding)r.Args.Int(nameof(pool.Round), (int)r.Round),
            Location: r.Location);
    }

    public override string Kind => IsMax ? "maxpool" : "avgpool";
    public override string AttributeName => IsMax ? "MaxPool" : "AvgPool";
    public override bool IsSpatial => true;

    public override string Describe() =>
        $"{(IsMax ? "max" : "avg")} pool {Window}"
        + (Stride != Window ? $", stride {Stride}" : "")
        + (Pad != 0 ? $", pad {Pad}" : "")
        + Format.RoundingSuffix(Round);

    public override void Check(RangeCheck check, string who)
    {
        check.AtLeast(Location, who, "window", Window, 1);
        check.AtLeast(Location, who, nameof(PoolAttribute.Stride), Stride, 1);
        check.AtLeast(Location, who, nameof(PoolAttribute.Pad), Pad, 0);
        check.Rounding(Location, who, Round);
        if (Window > 0 && Pad > Window / 2)
            check.Report(DiagnosticDescriptors.PoolPadTooLarge, Location, who, Pad, Window, Window / 2);
    }

    public override Shape? Infer(ShapeRule rule) =>
        rule.Window("window", Window, Stride, Pad, Round) is { } hw ? new Shape(rule.Input.Channels, hw.Height, hw.Width) : null;

    public override void WriteKernel(KernelWriting k)
    {
        var w = k.W;
        Shape input = k.Input, output = k.Output;
        string ox = IndexMath.Declare(w, "ox", IndexMath.Mod("index", output.Width));
        string oy = IndexMath.Declare(w, "oy", IndexMath.Mod(IndexMath.Over("index", output.Width), output.Height));
        string inputPlane = IndexMath.Declare(w, "inputPlane", IndexMath.Times(IndexMath.Over("index", output.Height * output.Width), input.Height * input.Width), "(n, c) plane of the input");
        w.Line(IsMax ? "float value = float.NegativeInfinity;" : "float value = 0f;");
        using (var y = KernelEmitter.WindowAxis(w, 'y', input.Height, output.Height, Window, Stride, Pad, oy))
        using (var x = KernelEmitter.WindowAxis(w, 'x', input.Width, output.Width, Window, Stride, Pad, ox))
        {
            w.Line($"float a = input[{IndexMath.Plus(IndexMath.Plus(inputPlane, IndexMath.Times(y.I, input.Width)), x.I)}];");
            w.Line(IsMax ? "if (a > value) value = a;" : "value += a;");
        }
        if (!IsMax)
            w.Line($"value /= {Divisor(w, input, output, oy, ox)};");
    }

    /// <summary>
    /// The divisor of an average window at (<paramref name="oy"/>, <paramref name="ox"/>): window * window, except where a ceil-rounded
    /// window runs past the padded input; that part does not count. Writes the lines it needs.
    /// </summary>
    private string Divisor(SourceWriter w, Shape input, Shape output, string oy, string ox)
    {
        bool overhang = (long)(output.Height - 1) * Stride - Pad + Window > input.Height + Pad
            || (long)(output.Width - 1) * Stride - Pad + Window > input.Width + Pad;
        if (!overhang)
            return $"{Window * Window}f";
        w.Line("// A ceil-rounded window may run past the padded input; that part does not count.");
        w.Line($"int y0 = {IndexMath.Plus(IndexMath.Times(oy, Stride), -Pad)}, x0 = {IndexMath.Plus(IndexMath.Times(ox, Stride), -Pad)};");
        w.Line($"int y1 = y0 + {Window} < {input.Height + Pad} ? y0 + {Window} : {input.Height + Pad};");
        w.Line($"int x1 = x0 + {Window} < {input.Width + Pad} ? x0 + {Window} : {input.Width + Pad};");
        return "(y1 - y0) * (x1 - x0)";
    }

    /// <summary>One thread per input value, gathering from every window that holds it.</summary>
    public override void WriteInputGradient(KernelWriting k)
    {
        var w = k.W;
        Shape input = k.Input, output = k.Output;
        int inputPlaneSize = input.Height * input.Width;
        string ix = IndexMath.Declare(w, "ix", IndexMath.Mod("index", input.Width));
        string iy = IndexMath.Declare(w, "iy", IndexMath.Mod(IndexMath.Over("index", input.Width), input.Height));
        string inputPlane = IsMax ? IndexMath.Declare(w, "inputPlane", IndexMath.Times(IndexMath.Over("index", inputPlaneSize), inputPlaneSize)) : ""; // only max pooling reads the input
        string deltaPlane = IndexMath.Declare(w, "deltaPlane", IndexMath.Times(IndexMath.Over("index", inputPlaneSize), output.Height * output.Width));
        w.Line("float gradient = 0f;");
        using (var y = KernelEmitter.OutputsTouching(w, 'y', input.Height, output.Height, Window, Stride, Pad, iy))
        using (var x = KernelEmitter.OutputsTouching(w, 'x', input.Width, output.Width, Window, Stride, Pad, ix))
        {
            string d = $"delta[{IndexMath.Plus(IndexMath.Plus(deltaPlane, IndexMath.Times(y.O, output.Width)), x.O)}]";
            if (IsMax)
            {
                WriteRoute(w, input, output, inputPlane, y, x, d);
            }
            else
            {
                string divisor = Divisor(w, input, output, y.O, x.O);
                w.Line($"gradient += {d} / {(divisor.EndsWith("f", System.StringComparison.Ordinal) ? divisor : $"({divisor})")};");
            }
        }
    }

    private void WriteRoute(SourceWriter w, Shape input, Shape output, string inputPlane, Axis y, Axis x, string d)
    {
        w.Line($"// The element window ({y.O}, {x.O}) took: its first maximum, as the forward kernel chose it.");
        // Without padding a window never starts before the input, and without a ceil-rounded
        // overhang it never ends past it: those bounds need no test.
        string top = IndexMath.Plus(IndexMath.Times(y.O, Stride), -Pad), left = IndexMath.Plus(IndexMath.Times(x.O, Stride), -Pad);
        if (!IndexMath.IsAtom(top) && !IndexMath.IsAtom(left))
        {
            w.Line($"int top = {top}, left = {left};");
            (top, left) = ("top", "left");
        }
        top = IndexMath.Declare(w, "top", top);
        left = IndexMath.Declare(w, "left", left);
        var rowSpan = Span(w, "bottom", top, output.Height, input.Height);
        var columnSpan = Span(w, "right", left, output.Width, input.Width);
        w.Line("float best = float.NegativeInfinity;");
        w.Line("int chosen = -1;");
        using (var rows = rowSpan(w, "y"))
        using (var columns = columnSpan(w, "x"))
        {
            w.Line($"float a = input[{IndexMath.Plus(IndexMath.Plus(inputPlane, IndexMath.Times(rows.Variable, input.Width)), columns.Variable)}];");
            using (w.Block("if (a > best)"))
            {
                w.Line("best = a;");
                w.Line($"chosen = {IndexMath.Plus(IndexMath.Times(rows.Variable, input.Width), columns.Variable)};");
            }
        }
        w.Line($"if (chosen == {IndexMath.Plus(IndexMath.Times(y.I, input.Width), x.I)})");
        w.Line($"    gradient += {d};");
    }

    /// <summary>
    /// The loop over one axis of the window starting at <paramref name="start"/>, clipped to the
    /// input only where it can cross it: before it only with padding, past it only where some
    /// window runs over (a ceil-rounded or padded one). An unclipped window is a counted loop.
    /// Declares the clipped end now; the result opens the loop.
    /// </summary>
    private System.Func<SourceWriter, string, Loop> Span(SourceWriter w, string endName, string start, int outputs, int inputs)
    {
        string end = IndexMath.Plus(start, Window);
        bool clipsEnd = (long)(outputs - 1) * Stride - Pad + Window > inputs;
        if (Pad == 0 && !clipsEnd)
            return (writer, variable) => Loop.For(writer, variable, Window, start);
        string first = Pad > 0 ? $"{start} > 0 ? {start} : 0" : start;
        string last = IndexMath.Declare(w, endName, clipsEnd ? $"{end} < {inputs} ? {end} : {inputs}" : end);
        return (writer, variable) => Loop.Over(writer, variable, first, last);
    }

    public override string? CpuGeometry(string method, Shape input, Shape output, int groups, int columnChannels) =>
        $"public static readonly PoolGeometry {method} = new(IsMax: {(IsMax ? "true" : "false")}, Height: {input.Height}, Width: {input.Width}, Window: {Window}, Stride: {Stride}, Pad: {Pad}, OutHeight: {output.Height}, OutWidth: {output.Width});";

    public override void WriteCpuForward(CpuStep s) =>
        s.W.Line($"CpuPool.Forward({s.GeometryField}, {s.InputField}, {s.OutputField}, {IndexMath.Times("BatchSize", s.Input.Channels)});");

    public override void WriteCpuBackward(CpuStep s) =>
        s.W.Line($"CpuPool.Backward({s.GeometryField}, {s.InputField}, {s.Delta}, {s.InputGradient}, {IndexMath.Times("BatchSize", s.Input.Channels)});");

    /// <summary>
    /// ONNX's MaxPool or AveragePool (padding counted, as here). Ceil rounding: max pooling takes it
    /// as more padding at the end, which never wins; average pooling as <c>ceil_mode</c>, whose
    /// windows past the padding count only what they cover, as here.
    /// </summary>
    public override void WriteOnnx(OnnxWriting o)
    {
        Shape input = o.Op.Input, output = o.Op.Output;
        int bottom = OutputSize.EndPad(input.Height, output.Height, Window, Stride, Pad);
        int right = OutputSize.EndPad(input.Width, output.Width, Window, Stride, Pad);
        string kernel = OnnxWriting.Ints("kernel_shape", Window, Window), strides = OnnxWriting.Ints("strides", Stride, Stride);
        if (IsMax)
            o.Node("MaxPool", Kind, [o.Current], kernel, strides, OnnxWriting.Ints("pads", Pad, Pad, bottom, right));
        else
            o.Node("AveragePool", Kind, [o.Current], kernel, strides, OnnxWriting.Ints("pads", Pad, Pad, Pad, Pad),
                OnnxWriting.Int("count_include_pad", 1), OnnxWriting.Int("ceil_mode", bottom > Pad || right > Pad ? 1 : 0));
    }

    /// <summary>PyTorch's <c>max_pool2d</c> or <c>avg_pool2d</c> (padding counted), with <c>ceil_mode</c> for ceil rounding.</summary>
    public override void WritePyTorch(PyTorchWriting p)
    {
        string ceil = PyTorchWriting.Bool(Round == Rounding.Ceil);
        p.Assign(IsMax
            ? $"F.max_pool2d(h, {Window}, {Stride}, {Pad}, ceil_mode={ceil})"
            : $"F.avg_pool2d(h, {Window}, {Stride}, {Pad}, ceil_mode={ceil}, count_include_pad=True)", Describe());
    }
}
