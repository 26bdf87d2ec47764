using System;
using NetGen.Generator.Attributes;
using NetGen.Generator.Model;
using NetGen.Generator.Emit.Interchange;

namespace NetGen.Generator.Operations;

/// <summary>
/// Softmax over each image's outputs, one thread per image, shifted by the maximum so exp never
/// overflows. It can only end a network: training differentiates it together with the
/// cross-entropy in the loss kernel, so it has no gradient kernel of its own.
/// </summary>
[ReadFrom(typeof(SoftmaxAttribute))]
internal sealed record Softmax(LocationInfo? Location) : MainOperation(Location)
{
    public static Operation Read(OperationReading r) => new Softmax(r.Location);

    public override string Kind => "softmax";
    public override string AttributeName => "Softmax";
    public override string Describe() => "softmax";
    public override bool EndsNetwork => true;
    public override bool StoresValue => false;

    public override void Check(RangeCheck check, string who)
    {
        // no settings
    }

    public override Shape? Infer(ShapeRule rule) => rule.Input;

    public override long ThreadsPerImage(OpModel op) => 1;

    public override string IndexDoc(OpModel op) => "One thread per image: n.";

    public override void WriteKernel(KernelWriting k)
    {
        var w = k.W;
        string size = Format.Int(k.Input.Size);
        w.Line($"int row = index * {size};");
        w.Line("float max = input[row];");
        w.Line($"for (int i = 1; i < {size}; i++)");
        w.Line("    max = input[row + i] > max ? input[row + i] : max;");
        w.Line("float sum = 0f;");
        using (w.Block($"for (int i = 0; i < {size}; i++)"))
        {
            w.Line("float e = XMath.Exp(input[row + i] - max);");
            w.Line("output[row + i] = e;");
            w.Line("sum += e;");
        }
        w.Line("float scale = 1f / sum;");
        w.Line($"for (int i = 0; i < {size}; i++)");
        w.Line("    output[row + i] *= scale;");
    }

    public override void WriteInputGradient(KernelWriting k) => throw LossDifferentiates();

    public override string? CpuGeometry(string method, Shape input, Shape output, int groups, int columnChannels) => null;

    public override void WriteCpuForward(CpuStep s) =>
        s.W.Line($"CpuLoss.Softmax({s.Output.Size}, {s.InputField}, {s.OutputField}, BatchSize);");

    public override void WriteCpuBackward(CpuStep s) => throw LossDifferentiates();

    private static InvalidOperationException LossDifferentiates() =>
        new("NetGen generator bug: the loss kernel differentiates the final softmax; nothing should ask for its own gradient.");

    /// <summary>ONNX's Softmax over the classes: the graph's output is the probabilities.</summary>
    public override void WriteOnnx(OnnxWriting o)
    {
        if (!o.Flat)
            o.Flatten();
        o.Node("Softmax", Kind, [o.Current], OnnxWriting.Int("axis", 1));
    }

    /// <summary>Nothing: the twin returns the logits, and the softmax is the loss's, as in NetGen's trainer.</summary>
    public override void WritePyTorch(PyTorchWriting p)
    {
        // F.cross_entropy applies it; torch.softmax(model(x), 1) gives the probabilities.
    }
}
