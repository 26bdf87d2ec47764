using NetGen.Generator.Attributes;
using NetGen.Generator.Model;
using NetGen.Generator.Emit.Interchange;

namespace NetGen.Generator.Operations;

/// <summary>The hyperbolic tangent, y = tanh(x); derivative 1 - y^2.</summary>
[ReadFrom(typeof(TanhAttribute))]
internal sealed record Tanh(LocationInfo? Location) : ActivationFunction(Location)
{
    public static Operation Read(OperationReading r) => new Tanh(r.Location);

    public override string Kind => "tanh";
    public override string AttributeName => "Tanh";
    public override string Describe() => "tanh";

    public override void Check(RangeCheck check, string who)
    {
        // no settings
    }

    public override string Value(string x, Formula m) => m.Tanh(x);

    public override string Derivative(string x, string y, Formula m) => $"{m.Constant(1f)} - {y} * {y}";

    /// <inheritdoc/>
    public override void WriteOnnx(OnnxWriting o) => o.Node("Tanh", Kind, [o.Current]);

    /// <inheritdoc/>
    public override void WritePyTorch(PyTorchWriting p) => p.Assign("torch.tanh(h)", Describe());
}
