package io.emcachers.listener;

import io.emcachers.listener.scan.ScanCollaborators;
import io.emcachers.listener.stream.StreamSet;
import io.vertx.core.Future;

/**
 * The scans' view of the streams: the session plugs the {@link StreamSet} into the gate the scan
 * protocol declares.
 */
final class ScanStreamGate implements ScanCollaborators.StreamGate {

  private final StreamSet streams;

  ScanStreamGate(StreamSet streams) {
    this.streams = streams;
  }

  @Override
  public String streamOf(String collection) {
    return streams.streamOf(collection);
  }

  @Override
  public boolean continuous(String collection) {
    return streams.continuous(collection);
  }

  @Override
  public Future<Void> whenOpen(String collection) {
    return streams.whenOpen(collection);
  }
}
