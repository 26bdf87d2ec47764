using NetGen.Generator.Emit;
using NetGen.Generator.Model;

namespace NetGen.Generator.Operations;

/// <summary>What an operation's ILGPU code is written with: the writer, the operation with its shapes, and the network's columns.</summary>
internal sealed record KernelWriting(SourceWriter W, OpModel Op, int Columns)
{
    public Shape Input => Op.Input;

    public Shape Output => Op.Output;
}

/// <summary>
/// What an operation's CPU backend call is written with, for one device or for one column's share
/// (then the shapes are the column's, and the tensors its slices).
/// </summary>
/// <param name="Geometry">The class holding the geometry fields: CpuGeometry, ColumnGeometry.</param>
/// <param name="Method">The group's name, which its geometry field carries.</param>
/// <param name="Tensors">Each tensor's view, in the operation's order.</param>
/// <param name="TensorGradients">Each tensor's gradient view.</param>
/// <param name="InputGradient">The input's gradient view, or <c>default</c> for the network's input.</param>
/// <param name="FuseRelu">Whether the call applies the epilogue's leading ReLU (forward).</param>
/// <param name="FoldReluMask">Whether the call applies the producer's ReLU mask to the input gradient (backward), where the operation can.</param>
/// <param name="Statistics">The group's batch statistics buffer, or null.</param>
/// <param name="Training">The mode as a bool expression (<c>dropout.Training != 0</c>), for an operation that reads it.</param>
internal sealed record CpuStep(
    SourceWriter W,
    string Geometry,
    string Method,
    Shape Input,
    Shape Output,
    string InputField,
    string OutputField,
    EquatableArray<string> Tensors,
    EquatableArray<string> TensorGradients,
    string Delta,
    string InputGradient,
    bool FuseRelu,
    bool FoldReluMask,
    string? Statistics = null,
    string Training = "false",
    string? Addend = null)
{
    public string GeometryField => $"{Geometry}.{Method}";

    public string Relu => FuseRelu ? "true" : "false";
}

/// <summary>
/// What a call into the hand-written GPU kernel library (NetGen.Gpu.KernelLibrary) is written
/// with, in one device's passes: the group's sizes and its buffers as expressions. A forward call
/// reads the input, tensors, output and activation; a gradient's, the delta and the gradient it writes.
/// </summary>
/// <param name="Geometry">The group's geometry field (<c>CpuGeometry.{Method}</c>), where the operation has one.</param>
/// <param name="Input">The operation's input shape.</param>
/// <param name="Output">Its output shape.</param>
/// <param name="InputField">The input activation.</param>
/// <param name="Tensors">Each tensor's view, in the operation's order.</param>
/// <param name="OutputField">The output activation (forward).</param>
/// <param name="Activation">The library's activation type the store applies: the epilogue, a ReLU or nothing (forward).</param>
/// <param name="Delta">The gradient of the output before its epilogue (backward).</param>
/// <param name="TensorGradient">The gradient view of the tensor the call computes (a tensor gradient's call).</param>
/// <param name="InputGradient">The input gradient's view (an input gradient's call).</param>
/// <param name="Gate">The ReLU output that masks the input gradient, or <c>default</c>.</param>
internal sealed record LibraryStep(string Geometry, Shape Input, Shape Output, string InputField, EquatableArray<string> Tensors,
    string OutputField = "", string Activation = "", string Delta = "", string TensorGradient = "", string InputGradient = "", string Gate = "default")
{
    /// <summary>The library and the stream every call names.</summary>
    public const string Library = "network.KernelLibrary", Stream = "network.Accelerator.DefaultStream";

    /// <summary>The library call that adds each channel's sum of the output gradient into the tensor gradient: a bias gradient.</summary>
    public string SumOfDelta(int pixels) =>
        $"{Library}.SumPlanes({Stream}, {Delta}, BatchSize, {Output.Channels}, {pixels}, {TensorGradient});";
}
