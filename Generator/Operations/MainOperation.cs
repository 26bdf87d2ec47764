using System;
using System.Collections.Generic;
using NetGen.Generator.Emit;
using NetGen.Generator.Model;

namespace NetGen.Generator.Operations;

/// <summary>
/// An operation that starts a fused group: a kernel of its own, which the elementwise operations
/// written after it join as the kernel's epilogue. It writes its ILGPU forward body (leaving the
/// value in <c>value</c>), the gradients of its input and of each of its tensors, its CPU backend
/// calls, and says how it splits over columns.
/// </summary>
internal abstract record MainOperation(LocationInfo? Location) : Operation(Location)
{
    /// <summary>Writes the forward kernel's body for thread <c>index</c>, up to <c>float value</c>; the epilogue and the store follow.</summary>
    public abstract void WriteKernel(KernelWriting k);

    /// <summary>Writes the body of its input gradient for thread <c>index</c>, up to <c>float gradient</c>; the producer's mask and the store follow.</summary>
    public abstract void WriteInputGradient(KernelWriting k);

    /// <summary>The sizes the CPU backend's routine takes by record, as a field declaration, or null when the call carries them.</summary>
    /// <param name="groups">Convolution groups within what is computed (a column's share of them).</param>
    /// <param name="columnChannels">Channels per column, for operations that stay within one.</param>
    public abstract string? CpuGeometry(string method, Shape input, Shape output, int groups, int columnChannels);

    /// <summary>Writes the CPU backend's forward call (one device's, or one column's share).</summary>
    public abstract void WriteCpuForward(CpuStep s);

    /// <summary>Writes the CPU backend's backward call: the input gradient and every tensor's.</summary>
    public abstract void WriteCpuBackward(CpuStep s);

    /// <summary>Whether the kernel stores <c>value</c> at <c>index</c> after the epilogue (false: the body stores what it computes itself).</summary>
    public virtual bool StoresValue => true;

    /// <summary>Threads launched per image.</summary>
    public virtual long ThreadsPerImage(OpModel op) => op.Output.Size;

    /// <summary>What one forward thread computes, for the kernel's documentation.</summary>
    public virtual string IndexDoc(OpModel op) => op.Output.IsVector
        ? $"One thread per output value: n * {op.Output.Channels} + unit."
        : "One thread per output value: ((n * C + c) * H + y) * W + x.";

    /// <summary>Which of its tensors the forward kernel reads, by position in <see cref="Operation.Tensors"/>: all of them unless it says otherwise.</summary>
    public virtual IReadOnlyList<int>? KernelTensors => null;

    /// <summary>
    /// Floats it keeps per batch (not per image) between its kernels, or 0: statistics over the whole
    /// batch (batch normalisation's), which a statistics kernel fills before the forward kernel runs
    /// and the backward kernels read. Each of its kernels then takes them as <c>statistics</c>.
    /// </summary>
    public virtual int BatchStatistics(OpModel op) => 0;

    /// <summary>Whether it behaves differently in training and evaluation, so its statistics kernel and input gradient take <c>training</c> (and <c>batch</c>).</summary>
    public virtual bool ReadsMode => false;

    /// <summary>Which of its tensors the statistics kernel reads and updates (running estimates).</summary>
    public virtual IReadOnlyList<int> StatisticsTensors => [];

    /// <summary>Threads the statistics kernel launches (once per batch).</summary>
    public virtual long StatisticsThreads(OpModel op) => throw NoStatistics();

    /// <summary>What one thread of the statistics kernel computes.</summary>
    public virtual string StatisticsIndexDoc => throw NoStatistics();

    /// <summary>Writes the statistics kernel's body for thread <c>index</c>, which fills <c>statistics</c> from <c>input</c> (a batch of <c>batch</c> images).</summary>
    public virtual void WriteStatisticsKernel(KernelWriting k) => throw NoStatistics();

    /// <summary>Whether its tensor-gradient kernels read and write <c>statistics</c> (batch normalisation keeps the sums its input gradient needs there).</summary>
    public virtual bool TensorGradientReadsStatistics => false;

    /// <summary>Which of its tensors the input gradient reads, by position in <see cref="Operation.Tensors"/>.</summary>
    public virtual IReadOnlyList<int> InputGradientTensors => [];

    /// <summary>Writes the kernel body of the gradient of tensor <paramref name="tensor"/>, summed over the batch and added to <c>{name}Gradient</c>.</summary>
    public virtual void WriteTensorGradient(int tensor, KernelWriting k) => throw NoTensors();

    /// <summary>Threads the gradient kernel of tensor <paramref name="tensor"/> launches (once per batch).</summary>
    public virtual long TensorGradientThreads(int tensor, OpModel op) => throw NoTensors();

    /// <summary>Whether that kernel reads the operation's input (a weight's does, a bias's does not).</summary>
    public virtual bool TensorGradientReadsInput(int tensor) => throw NoTensors();

    /// <summary>What one thread of that kernel computes.</summary>
    public virtual string TensorGradientIndexDoc(int tensor) => throw NoTensors();

    /// <summary>
    /// The kernel library call that computes the group's output in place of its generated forward
    /// kernel, or null when the operation has none. Asked only of a group whose epilogue the
    /// library's store can apply (nothing, or a ReLU) and that keeps no value, joins nothing and
    /// has no batch statistics.
    /// </summary>
    public virtual string? LibraryForward(LibraryStep s) => null;

    /// <summary>
    /// The kernel library call that adds the gradient of tensor <paramref name="tensor"/>, which
    /// the ILGPU backend makes instead of launching the generated kernel when the network uses
    /// the library (<c>Network.UsesKernelLibrary</c>), or null when the operation has none.
    /// </summary>
    public virtual string? LibraryTensorGradient(int tensor, LibraryStep s) => null;

    /// <summary>
    /// The kernel library call that writes the input gradient (masked by <see cref="LibraryStep.Gate"/>
    /// when it is not <c>default</c>) in place of the generated kernel, or null when the operation
    /// has none. Asked only when the input's epilogue is nothing or a ReLU, or the gradient is one
    /// reader's unmasked part.
    /// </summary>
    public virtual string? LibraryInputGradient(LibraryStep s) => null;

    /// <summary>Whether, on a column that holds a slice of its input, it must first gather the input whole (a dense layer, a convolution with one group).</summary>
    public virtual bool GathersInput => false;

    /// <summary>The convolution groups a column computes: a column reading only its own slice computes its share of them.</summary>
    public virtual int GroupsInColumn(bool slicedInput, int devices) => 1;

    /// <summary>Whether the CPU routine's store applies a ReLU that comes first in the epilogue.</summary>
    public virtual bool FusesReluOnCpu => false;

    /// <summary>
    /// Whether the CPU routine's store can add a summing join's operand (<see cref="JoinOperation.IsSum"/>)
    /// before the fused ReLU: one pass over values already in cache instead of three.
    /// </summary>
    public virtual bool FusesSumOnCpu => false;

    /// <summary>Whether its CPU backward call can zero the input gradient where a ReLU before it let nothing through, saving a pass.</summary>
    public virtual bool FoldsReluMaskOnCpu => false;

    private InvalidOperationException NoStatistics() =>
        new($"NetGen generator bug: {AttributeName} keeps no batch statistics.");

    private InvalidOperationException NoTensors() =>
        new($"NetGen generator bug: {AttributeName} declares parameter tensors but writes no gradient for them.");
}
