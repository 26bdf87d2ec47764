using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using ILGPU;
using ILGPU.Runtime;

namespace NetGen;

/// <summary>
/// The base of every generated network: its parameters on one accelerator. The generated part of a
/// <c>[Network]</c> class adds the shapes, the kernels and the forward pass.
/// </summary>
public abstract class Network : IDisposable
{
    private readonly Layer[] layers;
    private readonly ParameterTensor[] tensors;
    private Gpu.KernelLibrary? kernelLibrary;

    /// <summary>Allocates the parameters on <paramref name="accelerator"/>, to run ILGPU kernels, and initialises them from <paramref name="seed"/>.</summary>
    protected Network(Accelerator accelerator, NetworkInfo info, ulong seed)
        : this(accelerator, info, seed, Backend.Ilgpu)
    {
    }

    /// <summary>Allocates the parameters on <paramref name="device"/>, to run on its backend, and initialises them from <paramref name="seed"/>.</summary>
    protected Network(Device device, NetworkInfo info, ulong seed)
        : this((device ?? throw new ArgumentNullException(nameof(device))).Accelerator, info, seed, device.Backend)
    {
    }

    private Network(Accelerator accelerator, NetworkInfo info, ulong seed, Backend backend)
    {
        Accelerator = accelerator ?? throw new ArgumentNullException(nameof(accelerator));
        if (backend == Backend.Cpu && accelerator.AcceleratorType != AcceleratorType.CPU)
            throw new ArgumentException("The CPU backend works in host memory: it needs a CPU accelerator (Device.Open(\"cpu\")).", nameof(accelerator));
        Backend = backend;
        UsesKernelLibrary = CanUseKernelLibrary;
        Info = info;
        Parameters = accelerator.Allocate1D<float>(info.ParameterCount);
        tensors = new ParameterTensor[info.Parameters.Count];
        for (int t = 0; t < tensors.Length; t++)
            tensors[t] = new ParameterTensor(this, info.Parameters[t]);
        layers = new Layer[info.Layers.Count];
        for (int i = 0; i < layers.Length; i++)
        {
            string prefix = info.Layers[i].Name + ".";
            layers[i] = new Layer(this, info.Layers[i], Array.FindAll(tensors, t => t.Info.Name.StartsWith(prefix, StringComparison.Ordinal)));
        }
        Initialise(seed);
    }

    /// <summary>What the generator worked out about the network.</summary>
    public NetworkInfo Info { get; }

    /// <summary>What runs the generated code: ILGPU kernels, or the CPU backend.</summary>
    public Backend Backend { get; }

    /// <summary>The accelerator that holds the parameters (and, for <see cref="Backend.Ilgpu"/>, runs the kernels).</summary>
    public Accelerator Accelerator { get; }

    /// <summary>
    /// Whether the ILGPU backend launches the hand-written kernel library (<see cref="Gpu.KernelLibrary"/>)
    /// where an operation has a library kernel (a convolution's or dense layer's parameter
    /// gradients), or the generated one-thread-per-value kernels, which stay as the reference. On
    /// by default on an accelerator that runs groups of 256 threads (a GPU, or the
    /// <c>ilgpu-gpu</c> device); <c>ilgpu-cpu</c>'s groups of 16 cannot.
    /// </summary>
    public bool UsesKernelLibrary
    {
        get;
        set => field = !value || CanUseKernelLibrary ? value
            : throw new InvalidOperationException($"The kernel library needs groups of {Gpu.TiledProduct.GroupSize} threads on the ILGPU backend; this accelerator runs at most {Accelerator.MaxNumThreadsPerGroup}.");
    }

    private bool CanUseKernelLibrary => Backend == Backend.Ilgpu && Accelerator.MaxNumThreadsPerGroup >= Gpu.TiledProduct.GroupSize;

    /// <summary>The hand-written kernels, loaded on this network's accelerator when first used.</summary>
    public Gpu.KernelLibrary KernelLibrary => kernelLibrary ??= new Gpu.KernelLibrary(Accelerator);

    /// <summary>Every learnable value, in the order of <see cref="NetworkInfo.Parameters"/>.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Parameters { get; }

    /// <summary>The layers in order.</summary>
    public IReadOnlyList<Layer> Layers => layers;

    /// <summary>Every parameter tensor, in the order of <see cref="NetworkInfo.Parameters"/>: the generated passes reach each by its place here.</summary>
    public IReadOnlyList<ParameterTensor> Tensors => tensors;

    /// <summary>
    /// Sets every weight to a zero-mean Gaussian draw with its layer's standard deviation (or, for the
    /// uniform presets, a uniform draw within its bound) and every bias to its layer's constant (or
    /// PyTorch's uniform draw). Each value is a pure function of (seed, tensor, index), so the
    /// same seed gives the same network on any machine and any number of threads.
    /// </summary>
    public void Initialise(ulong seed)
    {
        var host = new float[Info.ParameterCount];
        for (int t = 0; t < Info.Parameters.Count; t++)
            Fill(host, Info.Parameters[t], seed, (ulong)t);
        Parameters.View.CopyFromCPU(host);
    }

    private static void Fill(float[] host, ParameterInfo parameter, ulong seed, ulong stream)
    {
        int offset = checked((int)parameter.Offset), count = checked((int)parameter.Count);
        if (parameter.InitStd == 0f && parameter.InitBound == 0f)
        {
            host.AsSpan(offset, count).Fill(parameter.InitMean);
            return;
        }
        const int Chunk = 1 << 16;
        Parallel.For(0, (count + Chunk - 1) / Chunk, c =>
        {
            int end = Math.Min(count, (c + 1) * Chunk);
            for (int i = c * Chunk; i < end; i++)
                host[offset + i] = parameter.InitBound != 0f
                    // 2u - 1 lies in [-1, 1): the 24-bit uniform draw dropout uses, of the same (seed, tensor, index).
                    ? (float)(parameter.InitMean + parameter.InitBound * (2.0 * CounterHash.Uniform(seed, stream, (ulong)i) - 1.0))
                    : (float)(parameter.InitMean + parameter.InitStd * CounterHash.Normal(seed, stream, (ulong)i));
        });
    }

    /// <summary>Allocates the activations of a forward pass for batches of <paramref name="batchSize"/> images.</summary>
    public abstract ForwardPass CreateForwardPass(int batchSize);

    /// <summary>Allocates the gradients of a backward pass beside <paramref name="forward"/>, one of this network's forward passes.</summary>
    public abstract BackwardPass CreateBackwardPass(ForwardPass forward);

    /// <summary>
    /// How the network splits over one device per column (see <see cref="PartitionInfo"/>), or null
    /// when it declares a single column.
    /// </summary>
    public virtual PartitionInfo? Partitioning => null;

    /// <summary>
    /// Allocates device <paramref name="column"/>'s share of a network with several columns, for
    /// batches of <paramref name="batchSize"/>; <see cref="PartitionedTrainer"/> runs one per device.
    /// </summary>
    public virtual ColumnPass CreateColumnPass(Device device, int column, int batchSize, IColumnExchange exchange) =>
        throw new NotSupportedException($"{Info.Name} declares Columns = {Info.Columns}: there is nothing to split over devices.");

    /// <summary>Replaces every parameter, as when loading a checkpoint; <paramref name="values"/> is laid out as <see cref="Parameters"/>.</summary>
    public void WriteParameters(float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != Info.ParameterCount)
            throw new ArgumentException($"{Info.Name} has {Info.ParameterCount} parameters, not {values.Length}.", nameof(values));
        Parameters.View.CopyFromCPU(values);
    }

    /// <summary>Copies every parameter to the host, in the order of <see cref="NetworkInfo.Parameters"/>.</summary>
    public float[] ReadParameters() => Parameters.GetAsArray1D();

    /// <summary>Frees the parameters.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees what the network holds on the accelerator.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
            return;
        kernelLibrary?.Dispose();
        Parameters.Dispose();
    }
}
