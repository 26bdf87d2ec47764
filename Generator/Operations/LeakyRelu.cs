using NetGen.Generator.Attributes;
using NetGen.Generator.Model;
using NetGen.Generator.Emit.Interchange;

namespace NetGen.Generator.Operations;

/// <summary>Leaky ReLU as PyTorch defines it: x where x > 0, slope * x elsewhere; derivative 1 or slope.</summary>
[ReadFrom(typeof(LeakyReluAttribute), Example = "LeakyRelu(0.01f)")]
internal sealed record LeakyRelu(float Slope, LocationInfo? Location) : ActivationFunction(Location)
{
    public static Operation Read(OperationReading r) => new LeakyRelu(r.Args.Float(0, "slope", new LeakyReluAttribute().Slope), r.Location);

    public override string Kind => "leakyrelu";
    public override string AttributeName => "LeakyRelu";
    public override string Describe() => $"leaky relu {Format.Float(Slope)}";

    public override void Check(RangeCheck check, string who) => check.Finite(Location, who, "slope", Slope);

    public override string Value(string x, Formula m) => m.IfPositive(x, x, m.Scaled(Slope, x));

    public override string Derivative(string x, string y, Formula m) => m.IfPositive(x, m.Constant(1f), m.Constant(Slope));

    /// <inheritdoc/>
    public override void WriteOnnx(OnnxWriting o) => o.Node("LeakyRelu", Kind, [o.Current], OnnxWriting.Float("alpha", Slope));

    /// <inheritdoc/>
    public override void WritePyTorch(PyTorchWriting p) => p.Assign($"F.leaky_relu(h, {PyTorchWriting.Float(Slope)})", Describe());
}
