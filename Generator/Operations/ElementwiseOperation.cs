using System;
using System.Collections.Generic;
using NetGen.Generator.Emit;
using NetGen.Generator.Model;

namespace NetGen.Generator.Operations;

/// <summary>
/// The names an elementwise operation's code works with, and the <see cref="Formula"/> target it is
/// written for: an ILGPU kernel, or the CPU backend value by value or sixteen at a time.
/// </summary>
/// <param name="Value">The variable holding the value it applies to, updated in place.</param>
/// <param name="Gradient">The variable holding the gradient of what it returns.</param>
/// <param name="Index">The value's index in the whole network's activation (dropout draws its mask from it).</param>
/// <param name="Index">For <see cref="Formula.Vector"/>: the index of the first of the sixteen.</param>
/// <param name="ValueReadAfter">Whether a chain step's value is read after it: false for the last step, which then updates only the gradient.</param>
/// <param name="Scoped">Whether a chain step's names need a block of their own, as when more steps follow and declare them again.</param>
internal sealed record ElementwiseCode(string Value, string Gradient, Formula Math, string Index, bool ValueReadAfter = true, bool Scoped = true)
{
    public static ElementwiseCode Kernel(string index) => new("value", "gradient", Formula.Kernel, index);

    /// <summary>Opens a chain step under its comment: a block where <see cref="Scoped"/>, else just the comment line.</summary>
    public IDisposable Step(SourceWriter w, string comment)
    {
        if (Scoped)
            return w.Block($"// {comment}");
        w.Line($"// {comment}");
        return w.Indent(0);
    }

    /// <summary>
    /// Writes the chain steps of <paramref name="ops"/> in order, the last one updating only the
    /// gradient (the value after an epilogue is never read backward), each in a block of its own
    /// only where there are several.
    /// </summary>
    public void WriteChain(SourceWriter w, IReadOnlyList<OpModel> ops)
    {
        for (int i = 0; i < ops.Count; i++)
            ops[i].Elementwise.WriteChainStep(w, ops[i], this with { ValueReadAfter = i < ops.Count - 1, Scoped = ops.Count > 1 });
    }
}

/// <summary>
/// Where a gate's CPU pass runs: the values (an output, or a gradient), the stored output that
/// tells ReLU's mask, and the column's share of the whole activation per image.
/// </summary>
/// <param name="Own">Values per image here.</param>
/// <param name="Whole">Values per image in the whole network: more than <paramref name="Own"/> on a column holding a slice.</param>
internal sealed record CpuGate(SourceWriter W, string Values, string Output, long Own, long Whole)
{
    /// <summary>Whether the values are whole images, one after another (one device, or a column computing the whole group).</summary>
    public bool Contiguous => Own == Whole;

    public string Count => $"BatchSize * {Own}L";

    /// <summary>Arguments placing the values in the whole activation: images, values per image here, image stride, first value.</summary>
    public string Slice => Placement(Own, Whole);

    /// <summary>The same arguments for <paramref name="own"/> of <paramref name="whole"/> values per image (a column's share starts at <c>Column * own</c>).</summary>
    public static string Placement(long own, long whole) => $"BatchSize, {own}, {whole}, {(own == whole ? "0L" : $"Column * {own}L")}";
}

/// <summary>
/// An operation applied to each value alone, with no parameters: it fuses into the epilogue of
/// the group before it, applied to the value before the store. Backward, the kernel that writes
/// the gradient of the group's output applies its derivative as it stores.
/// <para>
/// Gates (ReLU, dropout) zero or scale a value by what the stored output or the dropout mask
/// still tells, so their derivative needs nothing kept. A group whose epilogue holds any other
/// operation keeps its value from before the epilogue, and the backward pass runs the epilogue
/// again from it, multiplying each operation's derivative into the gradient on the way.
/// </para>
/// </summary>
internal abstract record ElementwiseOperation(LocationInfo? Location) : Operation(Location)
{
    public override Shape? Infer(ShapeRule rule) => rule.Input;

    /// <summary>Writes the statements applying it to <see cref="ElementwiseCode.Value"/>, in place.</summary>
    public abstract void WriteForward(SourceWriter w, OpModel op, ElementwiseCode c);

    /// <summary>
    /// With <see cref="ElementwiseCode.Value"/> holding its input: writes the statements that
    /// multiply <see cref="ElementwiseCode.Gradient"/> by its derivative there, then apply it to the value.
    /// </summary>
    public abstract void WriteChainStep(SourceWriter w, OpModel op, ElementwiseCode c);

    /// <summary>Whether its derivative can be read from the group's stored output or its own mask (see the class remarks).</summary>
    public virtual bool IsGate => false;

    /// <summary>Whether its code reads the dropout key (<c>dropout</c>), so its group's kernels take one.</summary>
    public virtual bool UsesDropoutKey => false;

    /// <summary>Whether it is max(0, x), which the CPU backend's routines apply in their store and whose mask they apply as they read.</summary>
    public virtual bool IsRectifier => false;

    /// <summary>Whether applying it twice changes nothing, so a second copy in an epilogue needs no mask of its own.</summary>
    public virtual bool IsIdempotent => false;

    /// <summary>A gate's mask in a kernel, read from <paramref name="output"/>[<paramref name="element"/>], the group's stored output.</summary>
    /// <param name="name">The group's name, for the comment.</param>
    public virtual void WriteGate(SourceWriter w, OpModel op, string output, string element, string name) => throw NotAGate();

    /// <summary>A gate's CPU forward pass, unless <paramref name="fused"/> into the routine's store.</summary>
    public virtual void WriteCpuGate(CpuGate g, OpModel op, bool fused) => throw NotAGate();

    /// <summary>A gate's CPU mask on a gradient.</summary>
    public virtual void WriteCpuGateMask(CpuGate g, OpModel op) => throw NotAGate();

    private InvalidOperationException NotAGate() =>
        new($"NetGen generator bug: {AttributeName} is not a gate; its group keeps its value before the epilogue instead.");
}

/// <summary>
/// An elementwise function y = f(x) with a derivative written in x and y: the family a new
/// activation joins by giving its two formulas.
/// </summary>
internal abstract record ActivationFunction(LocationInfo? Location) : ElementwiseOperation(Location)
{
    /// <summary>f(x) as a C# expression, with constants and functions from <paramref name="m"/>.</summary>
    public abstract string Value(string x, Formula m);

    /// <summary>f'(x) as a C# expression in x and y = f(x).</summary>
    public abstract string Derivative(string x, string y, Formula m);

    /// <summary>How the generated code names it in comments.</summary>
    protected virtual string Comment => Describe();

    public override void WriteForward(SourceWriter w, OpModel op, ElementwiseCode c) =>
        w.Line($"{c.Value} = {Formula.Bare(Value(c.Value, c.Math))}; // {Comment}");

    public override void WriteChainStep(SourceWriter w, OpModel op, ElementwiseCode c)
    {
        using (c.Step(w, Comment))
        {
            string y = c.Value + "After";
            string derivative = Formula.Bare(Derivative(c.Value, y, c.Math));
            if (c.ValueReadAfter || derivative.Contains(y))
                w.Line($"{c.Math.Type} {y} = {Formula.Bare(Value(c.Value, c.Math))};");
            w.Line($"{c.Gradient} *= {derivative};");
            if (c.ValueReadAfter)
                w.Line($"{c.Value} = {y};");
        }
    }
}
