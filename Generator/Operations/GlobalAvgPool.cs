using NetGen.Generator.Attributes;
using NetGen.Generator.Emit;
using NetGen.Generator.Model;
using NetGen.Generator.Emit.Interchange;

namespace NetGen.Generator.Operations;

/// <summary>
/// Global average pooling: the mean of each channel's whole plane, output (C, 1, 1), as PyTorch's
/// <c>nn.AdaptiveAvgPool2d(1)</c>. Channel by channel, so it stays in its column. Forward, one
/// thread per (image, channel) sums its plane in row-major order and divides by the plane's size;
/// backward, one thread per input value takes its channel's gradient over the same size.
/// </summary>
[ReadFrom(typeof(GlobalAvgPoolAttribute))]
internal sealed record GlobalAvgPool(LocationInfo? Location) : MainOperation(Location)
{
    public static Operation Read(OperationReading r) => new GlobalAvgPool(r.Location);

    public override string Kind => "globalavgpool";
    public override string AttributeName => "GlobalAvgPool";
    public override bool IsSpatial => true;

    public override string Describe() => "global avg pool";

    public override void Check(RangeCheck check, string who)
    {
        // No settings: any plane has a mean.
    }

    public override Shape? Infer(ShapeRule rule) => new Shape(rule.Input.Channels, 1, 1);

    public override string IndexDoc(OpModel op) => "One thread per (image, channel): n * C + c.";

    public override void WriteKernel(KernelWriting k)
    {
        var w = k.W;
        int plane = k.Input.Height * k.Input.Width;
        string inputPlane = IndexMath.Declare(w, "inputPlane", IndexMath.Times("index", plane), "(n, c) plane of the input");
        w.Line("float value = 0f;");
        Loop.Statement(w, "i", plane, i => $"value += input[{IndexMath.Plus(inputPlane, i)}];");
        if (plane > 1)
            w.Line($"value /= {plane}f;");
    }

    /// <summary>One thread per input value: its channel's gradient, shared equally over the plane.</summary>
    public override void WriteInputGradient(KernelWriting k)
    {
        int plane = k.Input.Height * k.Input.Width;
        string d = $"delta[{IndexMath.Over("index", plane)}]";
        k.W.Line($"float gradient = {(plane > 1 ? $"{d} / {plane}f" : d)};");
    }

    public override string? CpuGeometry(string method, Shape input, Shape output, int groups, int columnChannels) => null;

    public override void WriteCpuForward(CpuStep s) =>
        s.W.Line($"CpuPool.GlobalAverage({s.Input.Height * s.Input.Width}, {s.InputField}, {s.OutputField}, {IndexMath.Times("BatchSize", s.Input.Channels)});");

    public override void WriteCpuBackward(CpuStep s) =>
        s.W.Line($"CpuPool.GlobalAverageBackward({s.Input.Height * s.Input.Width}, {s.Delta}, {s.InputGradient}, {IndexMath.Times("BatchSize", s.Input.Channels)});");

    /// <summary>ONNX's GlobalAveragePool, flattened to one value per channel as the shape here is.</summary>
    public override void WriteOnnx(OnnxWriting o)
    {
        o.Node("GlobalAveragePool", Kind, [o.Current]);
        o.Flatten();
    }

    /// <summary>The mean over height and width.</summary>
    public override void WritePyTorch(PyTorchWriting p)
    {
        p.Assign("h.mean((2, 3))", Describe());
        p.Flat = true;
    }
}
