package io.emcachers.core.client;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.messages.VerifyJob;
import io.emcachers.core.messages.VerifyJobRequest;
import io.emcachers.core.messages.VerifyListReply;
import io.emcachers.core.messages.VerifyListRequest;
import io.emcachers.core.messages.VerifyStartRequest;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;

/** Typed requests to a verifier ({@code emc.verify.*}). */
public final class VerifyClient {

  private final BusCaller bus;

  public VerifyClient(EventBus eventBus) {
    this(new BusCaller(eventBus));
  }

  public VerifyClient(BusCaller bus) {
    this.bus = bus;
  }

  /**
   * {@code emc.verify.start}: a run of {@code entity} on the node that answers (NOT_FOUND: unknown
   * entity or no cache there; CONFLICT: a run of it is already running).
   */
  public Future<VerifyJob> start(String entity, boolean repair) {
    return bus.request(
        Addresses.VERIFY_START, new VerifyStartRequest(entity, repair), VerifyJob.class);
  }

  /** {@code emc.verify.list}: the runs the answering node knows, newest first. */
  public Future<VerifyListReply> list() {
    return bus.request(Addresses.VERIFY_LIST, new VerifyListRequest(), VerifyListReply.class);
  }

  /** {@code emc.verify.get}: one run by id (NOT_FOUND when unknown). */
  public Future<VerifyJob> get(String id) {
    return bus.request(Addresses.VERIFY_GET, new VerifyJobRequest(id), VerifyJob.class);
  }
}
