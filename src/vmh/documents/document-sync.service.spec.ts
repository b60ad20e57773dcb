import { describe, expect, it } from '@jest/globals';
import { newTestService } from '../../../test/support/new-test-service.js';
import { UpstreamNotFoundError, ValidationError } from '../../core/errors/upstream.errors.js';
import { JobProducer } from '../../core/queue/job-producer.service.js';
import { EspoCrmClient } from '../../integrations/espocrm/espocrm.client.js';
import type { CDokumente } from '../../integrations/espocrm/espocrm.types.js';
import { XaiClient } from '../../integrations/xai/xai.client.js';
import type { XaiCollection } from '../../integrations/xai/xai.types.js';
import { CollectionAdoption } from '../../xai/collection-adoption.service.js';
import { CollectionTopics } from '../../xai/xai.jobs.js';
import { DocumentLinksReader } from './document-links.reader.js';
import { DocumentSyncService } from './document-sync.service.js';

const DEPS = {
  espo: EspoCrmClient,
  xai: XaiClient,
  producer: JobProducer,
  links: DocumentLinksReader,
  adoption: CollectionAdoption,
};

const OWNER = { entityType: 'CVmhRaeumungsklage', entityId: 'rk-1' };

/** Uploaded as file-1 and unchanged, but not yet in the owner's collection col-A. */
function record(over: Partial<CDokumente> = {}): CDokumente {
  return {
    id: 'doc-1',
    dokumentId: 'att-1',
    dokumentName: 'klage.txt',
    xaiId: 'file-1',
    xaiCollections: [],
    xaiSyncedHash: 'md5-old',
    md5sum: 'md5-old',
    fileStatus: 'synced',
    ...over,
  } as CDokumente;
}

async function setup(doc = record()) {
  const t = await newTestService(DocumentSyncService, DEPS);
  t.mocks.links.load.mockResolvedValue({
    record: doc,
    linked: [{ ...OWNER, xaiCollectionId: 'col-A' }],
  });
  t.mocks.espo.update.mockResolvedValue({ id: doc.id });
  t.mocks.espo.downloadAttachment.mockResolvedValue({
    data: Buffer.from('Klageschrift'),
    contentType: 'text/plain',
    size: 12,
  });
  return t;
}

const notFound = (what: string) => new UpstreamNotFoundError('xai', `${what} not found`);
const SYNC = { action: 'sync' as const, entityId: 'doc-1', traceId: 'trace-1' };

describe('DocumentSyncService', () => {
  it('adds an uploaded file to its missing collection without downloading it', async () => {
    const { sut, mocks } = await setup();
    mocks.xai.addDocument.mockResolvedValue(true);

    await expect(sut.run(SYNC)).resolves.toEqual({
      status: 'synced',
      uploaded: false,
      added: 1,
      removed: 0,
    });
    expect(mocks.xai.addDocument).toHaveBeenCalledWith('col-A', 'file-1', expect.anything());
    expect(mocks.espo.downloadAttachment).not.toHaveBeenCalled();
    expect(mocks.espo.update).toHaveBeenCalledWith(
      'CDokumente',
      'doc-1',
      expect.objectContaining({ xaiCollections: ['col-A'] }),
    );
  });

  it('collection gone (xAI 404): forgets its cached id and asks the collection manager to recreate it', async () => {
    const { sut, mocks } = await setup();
    mocks.xai.addDocument.mockRejectedValue(notFound('collection col-A'));
    mocks.xai.getCollection.mockRejectedValue(notFound('collection col-A'));

    await expect(sut.run(SYNC)).resolves.toEqual({
      status: 'synced',
      uploaded: false,
      added: 0,
      removed: 0,
    });
    expect(mocks.links.forgetCollectionOf).toHaveBeenCalledWith(OWNER);
    expect(mocks.producer.enqueue).toHaveBeenCalledWith(
      CollectionTopics.Ensure,
      [{ ...OWNER, traceId: 'trace-1' }],
      expect.objectContaining({ coalesceBy: expect.any(Function) }),
    );
    expect(mocks.xai.uploadFile).not.toHaveBeenCalled();
  });

  it('file gone (404 on add, the collection is there): downloads and uploads it once more', async () => {
    const { sut, mocks } = await setup();
    mocks.xai.addDocument
      .mockRejectedValueOnce(notFound('file file-1'))
      .mockResolvedValueOnce(true);
    mocks.xai.getCollection.mockResolvedValue({ collection_id: 'col-A' } as XaiCollection);
    mocks.xai.uploadFile.mockResolvedValue({ id: 'file-2' } as Awaited<
      ReturnType<XaiClient['uploadFile']>
    >);

    await expect(sut.run(SYNC)).resolves.toEqual({
      status: 'synced',
      uploaded: true,
      added: 1,
      removed: 0,
    });
    expect(mocks.espo.downloadAttachment).toHaveBeenCalledTimes(1);
    expect(mocks.xai.uploadFile).toHaveBeenCalledWith(
      expect.objectContaining({ filename: 'klage.txt', mimeType: 'text/plain' }),
    );
    expect(mocks.xai.addDocument).toHaveBeenLastCalledWith('col-A', 'file-2', expect.anything());
    expect(mocks.espo.update).toHaveBeenCalledWith(
      'CDokumente',
      'doc-1',
      expect.objectContaining({ xaiId: 'file-2', xaiCollections: ['col-A'] }),
    );
    expect(mocks.producer.enqueue).not.toHaveBeenCalled();
  });

  it('file gone again right after its new upload: a permanent failure, not a loop', async () => {
    const { sut, mocks } = await setup();
    mocks.xai.addDocument.mockRejectedValue(notFound('file'));
    mocks.xai.getCollection.mockResolvedValue({ collection_id: 'col-A' } as XaiCollection);
    mocks.xai.uploadFile.mockResolvedValue({ id: 'file-2' } as Awaited<
      ReturnType<XaiClient['uploadFile']>
    >);

    await expect(sut.run(SYNC)).rejects.toBeInstanceOf(ValidationError);
    expect(mocks.xai.uploadFile).toHaveBeenCalledTimes(1);
  });

  it('a record gone from EspoCRM is skipped as gone', async () => {
    const { sut, mocks } = await setup();
    mocks.links.load.mockResolvedValue(undefined);

    await expect(sut.run(SYNC)).resolves.toEqual({ status: 'gone' });
    expect(mocks.xai.addDocument).not.toHaveBeenCalled();
  });
});
