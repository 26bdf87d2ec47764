using NetGen.Generator.Attributes;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Emit;
using NetGen.Generator.Emit.Kernels;
using NetGen.Generator.Model;

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
        w.Line($"int ox = index % {output.Width};");
        w.Line($"int oy = index / {output.Width} % {output.Height};");
        w.Line($"int inputPlane = index / {output.Height * output.Width} * {input.Height * input.Width}; // (n, c) plane of the input");
        w.Line(IsMax ? "float value = float.NegativeInfinity;" : "float value = 0f;");
        using (KernelEmitter.WindowAxis(w, 'y', input.Height, output.Height, Window, Stride, Pad))
        using (KernelEmitter.WindowAxis(w, 'x', input.Width, output.Width, Window, Stride, Pad))
        {
            w.Line($"float a = input[inputPlane + iy * {input.Width} + ix];");
            w.Line(IsMax ? "if (a > value) value = a;" : "value += a;");
        }
        if (!IsMax)
            w.Line($"value /= {Divisor(w, input, output)};");
    }

    /// <summary>
    /// The divisor of an average window at (oy, ox): window * window, except where a ceil-rounded
    /// window runs past the padded input; that part does not count. Writes the lines it needs.
    /// </summary>
    private string Divisor(SourceWriter w, Shape input, Shape output)
    {
        bool overhang = (long)(output.Height - 1) * Stride - Pad + Window > input.Height + Pad
            || (long)(output.Width - 1) * Stride - Pad + Window > input.Width + Pad;
        if (!overhang)
            return $"{Window * Window}f";
        w.Line("// A ceil-rounded window may run past the padded input; that part does not count.");
        w.Line($"int y0 = oy * {Stride} - {Pad}, x0 = ox * {Stride} - {Pad};");
        w.Line($"int y1 = y0 + {Window} < {input.Height + Pad} ? y0 + {Window} : {input.Height + Pad};");
        w.Line($"int x1 = x0 + {Window} < {input.Width + Pad} ? x0 + {Window} : {input.Width + Pad};");
        return "(y1 - y0) * (x1 - x0)";
    }

    /// <summary>One thread per input value, gathering from every window that holds it.</summary>
    public override void WriteInputGradient(KernelWriting k)
    {
        var w = k.W;
        Shape input = k.Input, output = k.Output;
        w.Line($"int ix = index % {input.Width};");
        w.Line($"int iy = index / {input.Width} % {input.Height};");
        w.Line($"int inputPlane = index / {input.Height * input.Width} * {input.Height * input.Width};");
        w.Line($"int deltaPlane = index / {input.Height * input.Width} * {output.Height * output.Width};");
        w.Line("float gradient = 0f;");
        using (KernelEmitter.OutputsTouching(w, 'y', input.Height, output.Height, Window, Stride, Pad))
        using (KernelEmitter.OutputsTouching(w, 'x', input.Width, output.Width, Window, Stride, Pad))
        {
            string d = $"delta[deltaPlane + oy * {output.Width} + ox]";
            if (IsMax)
                WriteRoute(w, input, d);
            else
                w.Line($"gradient += {d} / ({Divisor(w, input, output)});");
        }
    }

    private void WriteRoute(SourceWriter w, Shape input, string d)
    {
        w.Line("// The element window (oy, ox) took: its first maximum, as the forward kernel chose it.");
        w.Line($"int top = oy * {Stride}" + (Pad != 0 ? $" - {Pad}" : "") + $", left = ox * {Stride}" + (Pad != 0 ? $" - {Pad}" : "") + ";");
        w.Line($"int bottom = top + {Window} < {input.Height} ? top + {Window} : {input.Height};");
        w.Line($"int right = left + {Window} < {input.Width} ? left + {Window} : {input.Width};");
        w.Line("float best = float.NegativeInfinity;");
        w.Line("int chosen = -1;");
        using (w.Block("for (int y = top > 0 ? top : 0; y < bottom; y++)"))
        using (w.Block("for (int x = left > 0 ? left : 0; x < right; x++)"))
        {
            w.Line($"float a = input[inputPlane + y * {input.Width} + x];");
            using (w.Block("if (a > best)"))
            {
                w.Line("best = a;");
                w.Line($"chosen = y * {input.Width} + x;");
            }
        }
        w.Line($"if (chosen == iy * {input.Width} + ix)");
        w.Line($"    gradient += {d};");
    }

    public override string? CpuGeometry(string method, Shape input, Shape output, int groups, int columnChannels) =>
        $"public static readonly PoolGeometry {method} = new(IsMax: {(IsMax ? "true" : "false")}, Height: {input.Height}, Width: {input.Width}, Window: {Window}, Stride: {Stride}, Pad: {Pad}, OutHeight: {output.Height}, OutWidth: {output.Width});";

    public override void WriteCpuForward(CpuStep s) =>
        s.W.Line($"CpuPool.Forward({s.GeometryField}, {s.InputField}, {s.OutputField}, BatchSize * {s.Input.Channels});");

    public override void WriteCpuBackward(CpuStep s) =>
        s.W.Line($"CpuPool.Backward({s.GeometryField}, {s.InputField}, {s.Delta}, {s.InputGradient}, BatchSize * {s.Input.Channels});");
}
