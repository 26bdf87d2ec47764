namespace NetGen.Generator.Emit.Kernels;

/// <summary>One parameter of a kernel after its index, and what the pass that launches it passes.</summary>
/// <param name="Doc">Its shape and meaning, for the kernel's documentation.</param>
/// <param name="Argument">The expression the launch passes.</param>
internal sealed record KernelParameter(string Type, string Name, string Doc, string Argument)
{
    public static KernelParameter Floats(string name, string doc, string argument) => new("ArrayView<float>", name, doc, argument);

    public static KernelParameter Int(string name, string doc, string argument) => new("int", name, doc, argument);
}
