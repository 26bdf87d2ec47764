using NetGen.Generator.Emit;
using NetGen.Generator.Model;

namespace NetGen.Generator.Operations;

/// <summary>
/// An operation with a second input: the output of an earlier layer, named by <c>nameof</c>,
/// combined value by value with the value at its point of the layer (the residual add). It comes
/// right after the group's main operation, before the rest of its epilogue, so the group's kernel
/// combines the two before its activation; its operand is the group's <c>KernelPlan.Join</c>
/// input, and the analyzer checks that both have one shape. A join passes the gradient at its point
/// to both inputs unchanged, so the gradient of its operand is the group's own gradient buffer, which
/// the backward pass adds into the gradient of the layer it read (see <c>BackwardPlanner</c>).
/// A join whose derivative is not 1 (a product) would also have to say what its operand's gradient is.
/// </summary>
internal abstract record JoinOperation(string Layer, LocationInfo? Location) : Operation(Location)
{
    public override string? NamedInput => Layer;

    public override Shape? Infer(ShapeRule rule) => rule.Input;

    /// <summary>Whether it adds its operand to the value (<c>value + operand</c>, in that order): a main operation's CPU store may then do it (<see cref="MainOperation.FusesSumOnCpu"/>).</summary>
    public virtual bool IsSum => false;

    /// <summary>The kernel parameter and CPU argument naming its operand: addend.</summary>
    public abstract string Operand { get; }

    /// <summary>Writes the statement that combines <c>value</c> with <c>{Operand}[index]</c> in an ILGPU kernel.</summary>
    public abstract void WriteKernel(SourceWriter w);

    /// <summary>Writes the CPU backend's call combining <paramref name="values"/> with <paramref name="operand"/>, <paramref name="count"/> floats.</summary>
    public abstract void WriteCpu(SourceWriter w, string values, string operand, string count);
}
