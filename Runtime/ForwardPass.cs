using System;
using System.Collections.Generic;
using ILGPU;
using ILGPU.Runtime;

namespace NetGen;

/// <summary>
/// The activations of one batch size and the kernel launches that fill them. The generated
/// <c>ForwardPass</c> of each network allocates its activations here, one buffer per fused group,
/// and enqueues its kernels in <see cref="Enqueue"/>.
/// </summary>
public abstract class ForwardPass : IDisposable
{
    private readonly BatchBuffers activations;

    /// <summary>Binds the pass to <paramref name="network"/> for batches of <paramref name="batchSize"/> images.</summary>
    protected ForwardPass(Network network, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        Network = network ?? throw new ArgumentNullException(nameof(network));
        BatchSize = batchSize;
        activations = new BatchBuffers(network.Accelerator, network.Info.Name, batchSize, "activation");
    }

    /// <summary>The network whose parameters the pass reads.</summary>
    public Network Network { get; }

    /// <summary>Images per batch.</summary>
    public int BatchSize { get; }

    /// <summary>The names of the activations in the order the kernels write them; the first is <c>input</c>.</summary>
    public IEnumerable<string> Activations => activations.Names;

    /// <summary>The name of the activation the pass ends with (the probabilities when the network ends in softmax).</summary>
    public string OutputName => activations[activations.Count - 1].Name;

    /// <summary>
    /// The name of the activation holding the logits: the one a final softmax reads (MiniAlexNet's <c>fc8</c>),
    /// else <see cref="OutputName"/>. Ranks and losses are taken from it (<see cref="Ranking"/>).
    /// </summary>
    public string LogitsName =>
        Network.Info.Layers[^1].Operations[^1].Kind == "softmax" && activations.Count > 1 ? activations[activations.Count - 2].Name : OutputName;

    /// <summary>
    /// Copies <paramref name="images"/> (batch x channels x height x width, NCHW) to the accelerator,
    /// runs every kernel, and returns the output: batch rows of the last activation.
    /// </summary>
    /// <param name="images">The batch, exactly <c>BatchSize * Input.Size</c> floats.</param>
    /// <param name="dropout">A training key draws dropout masks; the default evaluates without dropout.</param>
    public float[] Run(float[] images, DropoutKey dropout = default)
    {
        SetInput(images);
        Enqueue(dropout);
        Network.Accelerator.Synchronize();
        return Read(OutputName);
    }

    /// <summary>Copies <paramref name="images"/> (NCHW, exactly <c>BatchSize * Input.Size</c> floats) into the <c>input</c> activation.</summary>
    public void SetInput(float[] images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var input = activations[0];
        if (images.Length != (long)BatchSize * input.Shape.Size)
            throw new ArgumentException(
                $"{Network.Info.Name} takes {BatchSize} images of {input.Shape} = {(long)BatchSize * input.Shape.Size} floats; got {images.Length}.",
                nameof(images));
        input.View.CopyFromCPU(images);
        Batches++;
    }

    /// <summary>
    /// Batches copied in by <see cref="SetInput"/>: a trainer that checks a step later knows from it
    /// whether the activations are still that step's.
    /// </summary>
    internal long Batches { get; private set; }

    /// <summary>Enqueues every forward kernel on the accelerator's default stream, in order.</summary>
    public abstract void Enqueue(DropoutKey dropout);

    /// <summary>
    /// Enqueues the kernels up to the logits: all of them, less a final softmax, which training
    /// leaves to the fused softmax and cross-entropy kernel.
    /// </summary>
    public abstract void EnqueueLogits(DropoutKey dropout);

    /// <summary>Copies the activation named <paramref name="name"/> (<c>conv1</c>, <c>conv1.maxpool</c>, ...) to the host.</summary>
    public float[] Read(string name) => activations.Read(name);

    /// <summary>The shape of one image's slice of the activation named <paramref name="name"/>.</summary>
    public Shape ShapeOf(string name) => activations.Find(name).Shape;

    /// <summary>The activation named <paramref name="name"/> on the accelerator.</summary>
    internal ArrayView<float> View(string name) => activations.Find(name).View;

    /// <summary>Allocates an activation of <paramref name="shape"/> per image, for the whole batch.</summary>
    protected ArrayView<float> Allocate(string name, Shape shape) => activations.Allocate(name, shape);

    /// <summary>Allocates <paramref name="count"/> floats of statistics over the whole batch (batch normalisation's), which are not an activation.</summary>
    protected ArrayView<float> AllocateStatistics(int count) => activations.AllocateUnnamed(count);

    /// <summary>Frees the activations.</summary>
    public void Dispose()
    {
        activations.Dispose();
        GC.SuppressFinalize(this);
    }
}
